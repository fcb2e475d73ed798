import { useState } from 'preact/hooks';
import { requestJson } from '../auth';
import type { DashboardStore } from '../store';
import { duration } from '../format';

function StreamBadge({ store }: { store: DashboardStore }) {
  const status = store.stream;
  if (status.kind === 'live') return <span class="badge ok">stream live</span>;
  if (status.kind === 'retrying') return <span class="badge warn" title={status.error}>stream lost: retrying in {duration(status.inMs)}</span>;
  return <span class="badge muted">connecting…</span>;
}

function Connections({ store }: { store: DashboardStore }) {
  const { db, southbound } = store.connections;
  const controller = store.controller;
  return (
    <ul class="connections" aria-label="Connections">
      {db && (
        <li>
          <span class={`dot ${db.connected ? 'ok' : 'bad'}`} aria-hidden="true" />
          DB {db.connected ? 'connected' : 'disconnected'}
          {db.lastResync && <span class="muted"> · last resync {db.lastResync}</span>}
          {db.badKeys > 0 && <span class="warn-text"> · {db.badKeys} bad keys</span>}
          {db.localMirror && !db.localMirror.inSync && <span class="warn-text"> · local mirror out of sync</span>}
        </li>
      )}
      <li>
        <span class={`dot ${controller?.southboundAvailable === false || southbound?.watch === 'unreachable' ? 'bad' : southbound?.watch === 'watching' ? 'ok' : 'muted'}`} aria-hidden="true" />
        southbound {controller?.southboundAvailable === false ? 'unavailable (outage)' : southbound?.watch ?? 'not watched'}
        {southbound?.error && <span class="muted" title={southbound.error}> · {southbound.error.slice(0, 60)}</span>}
      </li>
    </ul>
  );
}

export function Header({ store, onForgetToken }: { store: DashboardStore; onForgetToken?: () => void }) {
  const controller = store.controller;
  const [resync, setResync] = useState<string>('');
  const requestResync = () => {
    setResync('requesting…');
    requestJson<{ status: string }>('../controller/resync', { method: 'POST' }).then(
      () => setResync('resync requested'),
      (error: Error) => setResync(`resync refused: ${error.message}`),
    );
  };
  return (
    <header class="header">
      <div class="title">
        <h1>contiv controller</h1>
        <StreamBadge store={store} />
      </div>
      <div class="health" aria-live="polite">
        {controller ? (
          <>
            <span class={`badge state-${controller.state}`} data-testid="controller-state">
              {controller.state}
            </span>
            <span class={`badge ${controller.ready ? 'ok' : 'warn'}`}>{controller.ready ? 'ready' : 'not ready'}</span>
            {!controller.live && <span class="badge bad">fatal: {controller.fatalError}</span>}
            <span class="muted">
              queues {controller.queueDepths.main}/{controller.queueDepths.followUp}/{controller.queueDepths.delayed}
            </span>
          </>
        ) : (
          <span class="muted">waiting for the agent…</span>
        )}
      </div>
      <Connections store={store} />
      <div class="actions">
        <button type="button" onClick={requestResync}>
          Resync
        </button>
        {resync && (
          <span class="muted" role="status">
            {resync}
          </span>
        )}
        {onForgetToken && (
          <button type="button" class="link" onClick={onForgetToken}>
            Forget token
          </button>
        )}
      </div>
      {store.behind && (
        <div class="behind" role="alert">
          This page fell behind the agent's stream
          {store.behind.droppedEvents > 0 && <> · {store.behind.droppedEvents} events skipped (fetched again from the history)</>}
          {store.behind.coalescedStates > 0 && <> · {store.behind.coalescedStates} machine states coalesced</>}
          {store.behind.valuesResent > 0 && <> · value states resent in full</>}
          <button type="button" class="link" onClick={() => store.dismissBehind()}>
            Dismiss
          </button>
        </div>
      )}
    </header>
  );
}
