import { useEffect, useMemo, useReducer, useState } from 'preact/hooks';
import type { EventSummaryPage } from '../../../src/agent/dashboard/protocol';
import { hasToken, requestJson, storeToken } from '../auth';
import { DashboardStore } from '../store';
import { openStream } from '../stream';
import { Header } from './Header';
import { MachineView } from './MachineView';
import { Tabs, type TabId } from './Tabs';
import { TimelineView } from './TimelineView';
import { TokenForm } from './TokenForm';
import { ValuesView } from './ValuesView';

/** Re-renders the caller whenever the store changed (at most once per frame). */
function useStore(store: DashboardStore): void {
  const [, bump] = useReducer((n: number, _action: void) => n + 1, 0);
  useEffect(() => store.subscribe(() => bump()), [store]);
}

/** Fetches the events fromSeq..toSeq from the history into the store, page after page. */
async function backfill(store: DashboardStore, fromSeq: number, toSeq: number): Promise<void> {
  for (let from = fromSeq; from <= toSeq; ) {
    const page = await requestJson<EventSummaryPage>(`api/events?from=${from}&to=${toSeq}`);
    store.mergeEvents(page.events);
    const last = page.events[page.events.length - 1];
    if (!page.more || !last) return;
    from = last.seqNum + 1;
  }
}

export function App() {
  const store = useMemo(() => new DashboardStore(), []);
  useStore(store);
  const [tab, setTab] = useState<TabId>('timeline');
  // Bumped to reconnect with a new token.
  const [session, setSession] = useState(0);
  const [tokenRefused, setTokenRefused] = useState(false);
  useEffect(
    () =>
      openStream({
        status: (status) => {
          if (status.kind === 'unauthorized') {
            setTokenRefused(hasToken());
            storeToken(undefined);
          }
          store.setStream(status);
        },
        message: (message) => {
          store.apply(message);
          // Events the server had to drop for this page: fetched again from the history.
          if (message.type === 'behind' && message.droppedEvents) {
            const { fromSeq, toSeq } = message.droppedEvents;
            backfill(store, fromSeq, toSeq).catch(() => undefined);
          }
        },
      }),
    [store, session],
  );

  if (store.stream.kind === 'unauthorized') {
    return (
      <TokenForm
        refused={tokenRefused}
        onSubmit={(token) => {
          storeToken(token);
          setTokenRefused(false);
          store.setStream({ kind: 'connecting' });
          setSession((n) => n + 1);
        }}
      />
    );
  }

  return (
    <div class="layout">
      <Header
        store={store}
        onForgetToken={
          hasToken()
            ? () => {
                storeToken(undefined);
                setSession((n) => n + 1);
              }
            : undefined
        }
      />
      <Tabs current={tab} onSelect={setTab} counts={{ timeline: store.events.length, values: store.counts.total }} />
      <main class="main">
        <div id={`panel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`} class="panel">
          {tab === 'timeline' && <TimelineView store={store} />}
          {tab === 'machine' && <MachineView store={store} />}
          {tab === 'values' && <ValuesView store={store} />}
        </div>
      </main>
    </div>
  );
}
