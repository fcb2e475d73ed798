import { useEffect, useRef, useState } from 'preact/hooks';
import type { EventDetail } from '../../../src/agent/dashboard/protocol';
import { requestJson } from '../auth';
import { clockTime, duration } from '../format';

function Handlers({ detail }: { detail: EventDetail }) {
  if (detail.handlers.length === 0) return <p class="muted">No handler reacted to this event.</p>;
  return (
    <ol class="handlers">
      {detail.handlers.map((call) => (
        <li class={`handler${call.revert ? ' revert' : ''}${call.error ? ' failed' : ''}`} data-handler={call.handler} data-revert={String(call.revert)}>
          <span class="handler-name">{call.handler}</span>
          <span class={`badge ${call.revert ? 'result-reverted' : 'muted'}`}>{call.revert ? 'revert' : detail.method === 'Update' ? 'update' : 'resync'}</span>
          {call.change && <span class="change">{call.change}</span>}
          {call.error && (
            <span class="error">
              {call.timedOut ? 'timed out: ' : 'failed: '}
              {call.error}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}

function Transaction({ txn }: { txn: NonNullable<EventDetail['txn']> }) {
  return (
    <section aria-labelledby="txn-title">
      <h3 id="txn-title">
        Southbound transaction #{txn.seqNum} <span class="muted">({txn.txnType}{txn.resyncType ? `, ${txn.resyncType} resync` : ''}, {duration(txn.stop - txn.start)})</span>
      </h3>
      <h4>
        Executed operations <span class="muted">({txn.executed.length < txn.executedTotal ? `${txn.executed.length} of ${txn.executedTotal}` : txn.executedTotal})</span>
      </h4>
      {txn.executed.length === 0 ? (
        <p class="muted">Nothing to do: the southbound already held these values.</p>
      ) : (
        <div class="table-scroll small">
          <table class="operations">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Operation</th>
                <th scope="col">State</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {txn.executed.map((op) => (
                <tr class={op.error ? 'failed' : ''}>
                  <td class="key" title={op.newValue ?? op.prevValue}>
                    {op.key}
                  </td>
                  <td>
                    {op.operation}
                    {op.isRevert && <span class="badge result-reverted">revert</span>}
                    {op.isRetry && <span class="badge tag">retry</span>}
                  </td>
                  <td>
                    <span class={`state state-${op.prevState}`}>{op.prevState}</span> → <span class={`state state-${op.newState}`}>{op.newState}</span>
                  </td>
                  <td class="error">{op.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <details>
        <summary>
          Values ({txn.values.length < txn.valuesTotal ? `${txn.values.length} of ${txn.valuesTotal}` : txn.valuesTotal})
        </summary>
        <ul class="values-list">
          {txn.values.map((value) => (
            <li>
              <code class="key">{value.key}</code> {value.value === undefined ? <span class="muted">(delete)</span> : <code class="json">{value.value}</code>}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}

/** One event in full: what it was, each handler's call in order, what the southbound did. */
export function EventDetailView({ seqNum, onClose }: { seqNum: number; onClose(): void }) {
  const [detail, setDetail] = useState<EventDetail | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const panel = useRef<HTMLElement>(null);

  useEffect(() => {
    let current = true;
    setDetail(undefined);
    setError(undefined);
    requestJson<EventDetail>(`api/events/${seqNum}`).then(
      (loaded) => current && setDetail(loaded),
      (failure: Error) => current && setError(failure.message),
    );
    return () => {
      current = false;
    };
  }, [seqNum]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  return (
    <aside class="detail" ref={panel} aria-labelledby="detail-title" data-seq={seqNum}>
      <div class="detail-head">
        <h2 id="detail-title" tabIndex={-1}>
          #{seqNum} {detail?.summary.name ?? ''}
          {detail && <span class={`badge result-${detail.summary.result}`}>{detail.summary.result}</span>}
        </h2>
        <button type="button" class="close" onClick={onClose} aria-label="Close the details (Escape)">
          ×
        </button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {!detail && !error && <p class="muted">Loading…</p>}
      {detail && (
        <>
          <p class="meta">
            {detail.method} · started {clockTime(detail.summary.start)} · took {duration(detail.summary.end - detail.summary.start)}
            {detail.summary.followUpTo !== undefined && <> · follow-up of #{detail.summary.followUpTo}</>}
            {detail.summary.batch && (
              <>
                {' '}
                · committed in one batch of {detail.summary.batch.size} events from #{detail.summary.batch.first}
              </>
            )}
          </p>
          <pre class="description">{detail.description}</pre>
          <h3>Handlers, in call order</h3>
          <Handlers detail={detail} />
          {detail.txnError && (
            <p class="error txn-error">
              <strong>Transaction failed:</strong> {detail.txnError}
            </p>
          )}
          {detail.txn ? <Transaction txn={detail.txn} /> : <p class="muted">Nothing was committed to the southbound.</p>}
        </>
      )}
    </aside>
  );
}
