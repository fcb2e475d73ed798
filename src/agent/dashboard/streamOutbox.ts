import { stringifyJson } from '../rest/json';
import type { ConnectionsView, ControllerView, EventSummary, StreamLimits, StreamMessage, ValueCounts, ValueEntry, ValuesSnapshot } from './protocol';

/** Where the outbox writes: an HTTP response (or any writable stream). */
export interface StreamSink {
  /** False when the chunk had to be buffered beyond the sink's high-water mark. */
  write(chunk: string): boolean;
  readonly writableLength: number;
  once(event: 'drain', listener: () => void): unknown;
}

export interface OutboxLimits extends StreamLimits {
  /** Bytes the sink may hold unsent; above it nothing more is written until it drains. */
  highWaterBytes: number;
  /** Value changes per `values` message. */
  valuesPerMessage: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = {
  highWaterBytes: 64 * 1024,
  maxPendingEvents: 500,
  maxPendingStates: 50,
  maxPendingValues: 2000,
  maxValuesInSnapshot: 5000,
  helloEvents: 500,
  valuesPerMessage: 500,
};

/** What the outbox reads at the time it writes (the latest, not what was current when queued). */
export interface OutboxSources {
  valuesSnapshot(max: number): ValuesSnapshot;
  valueCounts(): ValueCounts;
}

/** A Server-Sent Events frame: one `data:` line (JSON has no raw newline). */
export function sseFrame(message: StreamMessage): string {
  return `data: ${stringifyJson(message)}\n\n`;
}

/**
 * The messages waiting for one page. Nothing here grows without bound while the page reads
 * slowly or not at all: the sink is written only below its high-water mark, and what waits is
 * capped — the oldest events and controller states are dropped (the latest state always goes),
 * value changes are coalesced per key and, past their cap, replaced by one fresh snapshot. The
 * page is told what it missed in a `behind` message.
 */
export class StreamOutbox {
  private events: EventSummary[] = [];
  private states: ControllerView[] = [];
  private valueChanges = new Map<string, { entry: ValueEntry; removed: boolean }>();
  private valuesSnapshotDue = false;
  private connections: ConnectionsView | undefined;
  private droppedEvents: { count: number; fromSeq: number; toSeq: number } | undefined;
  private coalescedStates = 0;
  private valuesResent = false;
  private waitingSince: number | undefined;
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(
    private readonly sink: StreamSink,
    private readonly limits: OutboxLimits,
    private readonly sources: OutboxSources,
    private readonly now: () => number = Date.now,
  ) {}

  /** Writes a message at once, ahead of anything queued (the hello, heartbeats). */
  writeNow(chunk: string): void {
    if (!this.closed) this.sink.write(chunk);
  }

  pushEvent(event: EventSummary): void {
    this.events.push(event);
    if (this.events.length > this.limits.maxPendingEvents) {
      const dropped = this.events.shift() as EventSummary;
      const gap = this.droppedEvents;
      this.droppedEvents = gap
        ? { count: gap.count + 1, fromSeq: Math.min(gap.fromSeq, dropped.seqNum), toSeq: Math.max(gap.toSeq, dropped.seqNum) }
        : { count: 1, fromSeq: dropped.seqNum, toSeq: dropped.seqNum };
    }
    this.schedule();
  }

  pushState(state: ControllerView): void {
    this.states.push(state);
    if (this.states.length > this.limits.maxPendingStates) {
      this.states.shift();
      this.coalescedStates++;
    }
    this.schedule();
  }

  pushConnections(connections: ConnectionsView): void {
    this.connections = connections;
    this.schedule();
  }

  pushValue(entry: ValueEntry, removed: boolean): void {
    if (this.valuesSnapshotDue) return;
    // Re-inserted so that the map's order stays the order of the latest changes.
    this.valueChanges.delete(entry.key);
    this.valueChanges.set(entry.key, { entry, removed });
    if (this.valueChanges.size > this.limits.maxPendingValues) {
      this.valueChanges.clear();
      this.valuesSnapshotDue = true;
      this.valuesResent = true;
    }
    this.schedule();
  }

  /** Every value was reloaded: one snapshot replaces the changes waiting. */
  pushValuesReload(): void {
    this.valueChanges.clear();
    this.valuesSnapshotDue = true;
    this.schedule();
  }

  /** Messages waiting (events, states, value changes), for tests and the stall check. */
  get pending(): number {
    return this.events.length + this.states.length + this.valueChanges.size + (this.valuesSnapshotDue ? 1 : 0) + (this.connections ? 1 : 0);
  }

  /** How long the sink has been full with messages waiting (0 when it is not). */
  stalledFor(): number {
    return this.waitingSince === undefined ? 0 : this.now() - this.waitingSince;
  }

  close(): void {
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.events = [];
    this.states = [];
    this.valueChanges.clear();
  }

  private schedule(): void {
    // One flush per turn of the event loop: changes of the same turn share a message.
    if (this.closed || this.scheduled || this.waitingSince !== undefined) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.flush();
    });
  }

  private full(): boolean {
    return this.sink.writableLength >= this.limits.highWaterBytes;
  }

  private flush(): void {
    while (!this.closed && this.pending + (this.hasNotice() ? 1 : 0) > 0) {
      if (this.full()) {
        this.waitingSince ??= this.now();
        this.sink.once('drain', () => {
          this.waitingSince = undefined;
          this.flush();
        });
        return;
      }
      const message = this.next();
      if (message) this.sink.write(sseFrame(message));
    }
  }

  private hasNotice(): boolean {
    return this.droppedEvents !== undefined || this.coalescedStates > 0 || this.valuesResent;
  }

  /** The next message to write, most telling first: what was missed, then the present, then history. */
  private next(): StreamMessage | undefined {
    if (this.hasNotice()) {
      const notice: StreamMessage = {
        type: 'behind',
        ...(this.droppedEvents && { droppedEvents: this.droppedEvents }),
        coalescedStates: this.coalescedStates,
        valuesResent: this.valuesResent,
      };
      this.droppedEvents = undefined;
      this.coalescedStates = 0;
      this.valuesResent = false;
      return notice;
    }
    if (this.connections) {
      const connections = this.connections;
      this.connections = undefined;
      return { type: 'connections', connections };
    }
    const state = this.states.shift();
    if (state) return { type: 'state', state };
    const event = this.events.shift();
    if (event) return { type: 'event', event };
    if (this.valuesSnapshotDue) {
      this.valuesSnapshotDue = false;
      return { type: 'valuesSnapshot', values: this.sources.valuesSnapshot(this.limits.maxValuesInSnapshot) };
    }
    if (this.valueChanges.size > 0) {
      const batch = [...this.valueChanges.values()].slice(0, this.limits.valuesPerMessage);
      for (const change of batch) this.valueChanges.delete(change.entry.key);
      return {
        type: 'values',
        changes: batch.filter((c) => !c.removed).map((c) => c.entry),
        removed: batch.filter((c) => c.removed).map((c) => c.entry.key),
        counts: this.sources.valueCounts(),
      };
    }
    return undefined;
  }
}
