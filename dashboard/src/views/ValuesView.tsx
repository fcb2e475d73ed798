import { useState } from 'preact/hooks';
import type { DashboardStore } from '../store';

/** Rows drawn at most; the search narrows the rest. */
const MAX_ROWS = 500;
const STATE_ORDER = ['FAILED', 'RETRYING', 'PENDING', 'INVALID', 'CONFIGURED', 'OBTAINED', 'DISCOVERED', 'MISSING', 'UNIMPLEMENTED', 'REMOVED', 'NONEXISTENT'];

export function ValuesView({ store }: { store: DashboardStore }) {
  const [search, setSearch] = useState('');
  const [stateFilter, setStateFilter] = useState('');
  const states = Object.keys(store.counts.byState).sort((a, b) => {
    const rank = (s: string) => (STATE_ORDER.includes(s) ? STATE_ORDER.indexOf(s) : STATE_ORDER.length);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  const needle = search.trim().toLowerCase();
  const matching = [...store.values.values()]
    .filter((entry) => (stateFilter === '' || entry.state === stateFilter) && (needle === '' || entry.key.toLowerCase().includes(needle) || (entry.error ?? '').toLowerCase().includes(needle)))
    .sort((a, b) => a.key.localeCompare(b.key));
  const southbound = store.connections.southbound;

  return (
    <div class="values-view">
      <div class="value-counts" role="group" aria-label="Values per state (press to filter)">
        <button type="button" class="count-chip" aria-pressed={stateFilter === ''} onClick={() => setStateFilter('')}>
          all <strong data-testid="values-total">{store.counts.total}</strong>
        </button>
        {states.map((state) => (
          <button type="button" class={`count-chip state-${state}`} aria-pressed={stateFilter === state} data-state={state} onClick={() => setStateFilter(stateFilter === state ? '' : state)}>
            {state} <strong>{store.counts.byState[state]}</strong>
          </button>
        ))}
      </div>
      <div class="filters">
        <label for="value-search">Search keys</label>
        <input id="value-search" type="search" placeholder="e.g. interfaces/tap" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        <span class="muted">
          {matching.length} shown
          {store.counts.truncated && ' · the southbound holds more values than the agent tracks'}
          {store.values.size < store.counts.total && ` · the page has the first ${store.values.size} by key`}
        </span>
      </div>
      {store.valuesLoading && <p class="muted">Loading the southbound's value states…</p>}
      {southbound?.watch === 'unreachable' && (
        <p class="error" role="alert">
          The agent cannot watch the southbound: {southbound.error}
        </p>
      )}
      <div class="table-scroll">
        <table class="values">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">State</th>
              <th scope="col">Last operation</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {matching.slice(0, MAX_ROWS).map((entry) => (
              <tr data-key={entry.key} data-state={entry.state}>
                <td class="key">{entry.key}</td>
                <td>
                  <span class={`state state-${entry.state}`}>{entry.state}</span>
                </td>
                <td>{entry.lastOperation ?? ''}</td>
                <td class="error">{entry.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {matching.length > MAX_ROWS && <p class="muted">{matching.length - MAX_ROWS} more: narrow the search.</p>}
      </div>
    </div>
  );
}
