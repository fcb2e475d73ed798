import type { ConnectionsView, ControllerView, EventSummary, StreamLimits, StreamMessage, ValueCounts, ValueEntry } from '../../src/agent/dashboard/protocol';
import type { StreamStatus } from './stream';

/** Events the page keeps; older ones drop off (the agent's history still has them). */
export const MAX_EVENTS = 2000;
const MAX_TRANSITIONS = 12;

export interface StateChange {
  at: number;
  state: string;
  healing: string;
}

export interface BehindNotice {
  droppedEvents: number;
  coalescedStates: number;
  valuesResent: number;
  at: number;
}

/**
 * What the page shows, updated in place by the stream's messages; views re-render at most once
 * per animation frame however fast messages come.
 */
export class DashboardStore {
  controller: ControllerView | undefined;
  connections: ConnectionsView = {};
  limits: StreamLimits | undefined;
  /** Sorted by sequence number, oldest first, without duplicates. */
  events: EventSummary[] = [];
  readonly values = new Map<string, ValueEntry>();
  counts: ValueCounts = { byState: {}, total: 0, truncated: false };
  valuesLoading = true;
  stream: StreamStatus = { kind: 'connecting' };
  behind: BehindNotice | undefined;
  /** The latest controller state changes, newest last (a resync of milliseconds still shows here). */
  transitions: StateChange[] = [];
  /** Events older than those kept were dropped from the page. */
  eventsTrimmed = false;

  private readonly listeners = new Set<() => void>();
  private frame: number | undefined;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setStream(status: StreamStatus): void {
    this.stream = status;
    this.changed();
  }

  apply(message: StreamMessage): void {
    switch (message.type) {
      case 'hello':
        this.limits = message.limits;
        this.setController(message.state);
        this.connections = message.connections;
        this.mergeEvents(message.events);
        this.replaceValues(message.values.entries, message.values.counts, message.values.loading);
        break;
      case 'state':
        this.setController(message.state);
        break;
      case 'connections':
        this.connections = message.connections;
        break;
      case 'event':
        this.mergeEvents([message.event]);
        break;
      case 'values':
        for (const entry of message.changes) this.values.set(entry.key, entry);
        for (const key of message.removed) this.values.delete(key);
        this.counts = message.counts;
        break;
      case 'valuesSnapshot':
        this.replaceValues(message.values.entries, message.values.counts, message.values.loading);
        break;
      case 'behind': {
        const previous = this.behind ?? { droppedEvents: 0, coalescedStates: 0, valuesResent: 0, at: 0 };
        this.behind = {
          droppedEvents: previous.droppedEvents + (message.droppedEvents?.count ?? 0),
          coalescedStates: previous.coalescedStates + message.coalescedStates,
          valuesResent: previous.valuesResent + (message.valuesResent ? 1 : 0),
          at: Date.now(),
        };
        break;
      }
    }
    this.changed();
  }

  dismissBehind(): void {
    this.behind = undefined;
    this.changed();
  }

  /** Adds events (from the stream or a backfill) in sequence order. */
  mergeEvents(events: readonly EventSummary[]): void {
    if (events.length === 0) return;
    const last = this.events[this.events.length - 1];
    const inOrder = events.every((event, i) => (i === 0 ? !last || event.seqNum > last.seqNum : event.seqNum > events[i - 1].seqNum));
    if (inOrder) this.events.push(...events);
    else {
      const bySeq = new Map(this.events.map((event) => [event.seqNum, event]));
      for (const event of events) bySeq.set(event.seqNum, event);
      this.events = [...bySeq.values()].sort((a, b) => a.seqNum - b.seqNum);
    }
    if (this.events.length > MAX_EVENTS) {
      this.events = this.events.slice(this.events.length - MAX_EVENTS);
      this.eventsTrimmed = true;
    }
    this.changed();
  }

  private setController(view: ControllerView): void {
    const previous = this.controller;
    this.controller = view;
    if (!previous || previous.state !== view.state || previous.healing.state !== view.healing.state) {
      this.transitions = [...this.transitions, { at: Date.now(), state: view.state, healing: view.healing.state }].slice(-MAX_TRANSITIONS);
    }
  }

  private replaceValues(entries: readonly ValueEntry[], counts: ValueCounts, loading: boolean): void {
    this.values.clear();
    for (const entry of entries) this.values.set(entry.key, entry);
    this.counts = counts;
    this.valuesLoading = loading;
  }

  private changed(): void {
    if (this.frame !== undefined) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      for (const listener of this.listeners) listener();
    });
  }
}
