import type { TargetedKeyboardEvent } from 'preact';
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { EventSummary } from '../../../src/agent/dashboard/protocol';
import { clockTime, duration } from '../format';
import type { DashboardStore } from '../store';
import { EventDetailView } from './EventDetailView';

const RESULT_FILTERS = ['ok', 'error', 'reverted', 'follow-up', 'healing', 'batch'] as const;
type ResultFilter = (typeof RESULT_FILTERS)[number] | '';

function matchesResult(event: EventSummary, filter: ResultFilter): boolean {
  return filter === '' || event.result === filter || (event.tags as string[]).includes(filter);
}

/** Near the bottom counts as following the live edge. */
const FOLLOW_SLACK_PX = 24;

function Row({ event, maxLog, selected, onSelect }: { event: EventSummary; maxLog: number; selected: boolean; onSelect(): void }) {
  const ms = event.end - event.start;
  // Log scale: a 2 s resync must not flatten every 1 ms update to nothing.
  const width = maxLog === 0 ? 0 : Math.max(1, (Math.log1p(ms) / maxLog) * 100);
  return (
    <tr
      class={`row result-${event.result}${selected ? ' selected' : ''}`}
      data-seq={event.seqNum}
      data-result={event.result}
      data-tags={event.tags.join(' ')}
      tabIndex={0}
      aria-current={selected ? 'true' : undefined}
      onClick={onSelect}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onSelect();
        }
      }}
    >
      <td class="seq">#{event.seqNum}</td>
      <td class="time">{clockTime(event.start)}</td>
      <td class="name">
        <span class="event-name">{event.name}</span>
        {event.subject && <span class="subject">{event.subject}</span>}
      </td>
      <td class="duration">
        <span class="bar" style={{ width: `${width}%` }} aria-hidden="true" />
        <span class="bar-text">{duration(ms)}</span>
      </td>
      <td class="result">
        <span class={`badge result-${event.result}`}>{event.result}</span>
        {event.tags.map((tag) => (
          <span class={`badge tag tag-${tag}`} title={tag === 'follow-up' ? `follow-up of #${event.followUpTo}` : tag === 'batch' && event.batch ? `one commit with ${event.batch.size} events from #${event.batch.first}` : undefined}>
            {tag === 'batch' ? 'coalesced batch' : tag}
          </span>
        ))}
      </td>
    </tr>
  );
}

/**
 * The events as they finish, oldest first. It follows new events while scrolled to the bottom;
 * once the user scrolls up it pauses (new rows wait, counted in a banner) so nothing moves
 * under the reader.
 */
export function TimelineView({ store }: { store: DashboardStore }) {
  const [nameFilter, setNameFilter] = useState('');
  const [resultFilter, setResultFilter] = useState<ResultFilter>('');
  const [selected, setSelected] = useState<number | undefined>(undefined);
  const [pausedAt, setPausedAt] = useState<number | undefined>(undefined);
  const scroller = useRef<HTMLDivElement>(null);
  const lastSeq = store.events.length > 0 ? store.events[store.events.length - 1].seqNum : -1;

  const names = useMemo(() => [...new Set(store.events.map((event) => event.name))].sort(), [store.events.length, lastSeq]);
  const shown = store.events.filter(
    (event) => (pausedAt === undefined || event.seqNum <= pausedAt) && (nameFilter === '' || event.name === nameFilter) && matchesResult(event, resultFilter),
  );
  const waiting = pausedAt === undefined ? 0 : store.events.filter((event) => event.seqNum > pausedAt).length;
  const maxLog = Math.log1p(Math.max(0, ...shown.map((event) => event.end - event.start)));

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element && pausedAt === undefined) element.scrollTop = element.scrollHeight;
  });

  const onScroll = () => {
    const element = scroller.current;
    if (!element) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight <= FOLLOW_SLACK_PX;
    if (atBottom && pausedAt !== undefined) setPausedAt(undefined);
    else if (!atBottom && pausedAt === undefined) setPausedAt(lastSeq);
  };

  const resume = () => {
    setPausedAt(undefined);
    requestAnimationFrame(() => scroller.current && (scroller.current.scrollTop = scroller.current.scrollHeight));
  };

  const onKeyDown = (event: TargetedKeyboardEvent<HTMLTableSectionElement>) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const row = (event.target as HTMLElement).closest('tr');
    const next = event.key === 'ArrowDown' ? row?.nextElementSibling : row?.previousElementSibling;
    if (next instanceof HTMLElement) {
      event.preventDefault();
      next.focus();
    }
  };

  return (
    <div class={`timeline${selected !== undefined ? ' with-detail' : ''}`}>
      <section class="timeline-list" aria-label="Event timeline">
        <div class="filters" role="group" aria-label="Filters">
          <label>
            Event{' '}
            <select id="filter-name" value={nameFilter} onChange={(e) => setNameFilter(e.currentTarget.value)}>
              <option value="">all</option>
              {names.map((name) => (
                <option value={name}>{name}</option>
              ))}
            </select>
          </label>
          <label>
            Result{' '}
            <select id="filter-result" value={resultFilter} onChange={(e) => setResultFilter(e.currentTarget.value as ResultFilter)}>
              <option value="">all</option>
              {RESULT_FILTERS.map((result) => (
                <option value={result}>{result === 'batch' ? 'coalesced batch' : result}</option>
              ))}
            </select>
          </label>
          <span class="muted">
            {shown.length} of {store.events.length} events{store.eventsTrimmed ? ' (older ones: see the history)' : ''}
          </span>
        </div>
        {pausedAt !== undefined && (
          <div class="paused" role="status">
            Paused while you scroll{waiting > 0 ? `: ${waiting} new event${waiting === 1 ? '' : 's'}` : ''}.{' '}
            <button type="button" class="link" onClick={resume}>
              Show latest
            </button>
          </div>
        )}
        <div class="table-scroll" ref={scroller} onScroll={onScroll}>
          <table class="events">
            <caption class="visually-hidden">Processed events, oldest first. Enter opens an event's details.</caption>
            <thead>
              <tr>
                <th scope="col">Seq</th>
                <th scope="col">Start</th>
                <th scope="col">Event</th>
                <th scope="col">Duration</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody onKeyDown={onKeyDown}>
              {shown.map((event) => (
                <Row key={event.seqNum} event={event} maxLog={maxLog} selected={event.seqNum === selected} onSelect={() => setSelected(event.seqNum)} />
              ))}
            </tbody>
          </table>
          {shown.length === 0 && <p class="empty">No events{store.events.length > 0 ? ' match the filters' : ' yet'}.</p>}
        </div>
      </section>
      {selected !== undefined && (
        <EventDetailView
          seqNum={selected}
          onClose={() => {
            const seq = selected;
            setSelected(undefined);
            requestAnimationFrame(() => (document.querySelector(`tr[data-seq="${seq}"]`) as HTMLElement | null)?.focus());
          }}
        />
      )}
    </div>
  );
}
