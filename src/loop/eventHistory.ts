import { ControllerError } from '../api/errors';
import type { EventHistoryQuery, EventRecord } from '../api/history';
import { Fifo } from './fifo';

/** A history query with a parameter that is not a non-negative integer. */
export class InvalidHistoryQueryError extends ControllerError {
  constructor(readonly parameter: string, readonly value: unknown) {
    super(`invalid event-history parameter "${parameter}": ${JSON.stringify(value)} (expected a non-negative integer)`);
  }
}

export interface EventHistoryOptions {
  enabled: boolean;
  ageLimitMs: number;
  permanentlyRecordedInitPeriodMs: number;
  /** The history never holds more records than this. */
  maxRecords: number;
  /** Epoch ms when the controller started: records of its first period are kept longest. */
  startTime: number;
}

const QUERY_KEYS = ['seqNum', 'since', 'until', 'from', 'to', 'first', 'last'] as const;

/**
 * Processed events in sequence-number order, queried like the original's REST endpoint.
 *
 * Bounded twice: by age (trim(), as the original) and by count (`maxRecords`), so that memory
 * stays flat however long the agent runs. The records of the init period are kept apart: age
 * never drops them, and the count bound drops them only when nothing later is left to drop.
 */
export class EventHistory {
  /** Records of the init period (they come first in sequence order). */
  private permanent = new Fifo<EventRecord>();
  /** Every later record. */
  private recent = new Fifo<EventRecord>();
  private readonly permanentUntil: number;

  constructor(private readonly options: EventHistoryOptions) {
    this.permanentUntil = options.startTime + options.permanentlyRecordedInitPeriodMs;
  }

  get size(): number {
    return this.permanent.size + this.recent.size;
  }

  append(record: EventRecord): void {
    if (!this.options.enabled) return;
    if (record.processingStart < this.permanentUntil && this.recent.size === 0) this.permanent.push(record);
    else this.recent.push(record);
    if (this.size > this.options.maxRecords) {
      if (this.recent.size > 0) this.recent.shift();
      else this.permanent.shift();
    }
  }

  /** Applies the query by precedence: seqNum, since/until, from & to, first, last; none = all. */
  query(query: EventHistoryQuery = {}): EventRecord[] {
    for (const key of QUERY_KEYS) {
      const value = query[key];
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) throw new InvalidHistoryQueryError(key, value);
    }
    const { seqNum, since, until, from, to, first, last } = query;
    if (seqNum !== undefined) {
      const record = this.bySeqNum(seqNum);
      return record ? [record] : [];
    }
    if (since !== undefined || until !== undefined) {
      // Unix seconds: a record is in the window when its processing overlaps it.
      const sinceMs = since === undefined ? -Infinity : since * 1000;
      const untilMs = until === undefined ? Infinity : until * 1000 + 999;
      return this.all().filter((r) => r.processingEnd >= sinceMs && r.processingStart <= untilMs);
    }
    if (from !== undefined || to !== undefined) {
      const low = from ?? 0;
      const high = to ?? Number.MAX_SAFE_INTEGER;
      return this.all().filter((r) => r.seqNum >= low && r.seqNum <= high);
    }
    if (first !== undefined) return this.slice(0, first);
    if (last !== undefined) return last === 0 ? [] : this.slice(Math.max(0, this.size - last), this.size);
    return this.all();
  }

  /** Drops records older than the age limit, except those of the init period. */
  trim(now: number): number {
    const oldest = now - this.options.ageLimitMs;
    let dropped = 0;
    for (let next = this.recent.at(0); next && next.processingEnd < oldest; next = this.recent.at(0)) {
      this.recent.shift();
      dropped++;
    }
    return dropped;
  }

  private at(index: number): EventRecord | undefined {
    const permanentSize = this.permanent.size;
    return index < permanentSize ? this.permanent.at(index) : this.recent.at(index - permanentSize);
  }

  private slice(start: number, end: number): EventRecord[] {
    const out: EventRecord[] = [];
    for (let i = start; i < Math.min(end, this.size); i++) out.push(this.at(i) as EventRecord);
    return out;
  }

  private all(): EventRecord[] {
    return [...this.permanent.toArray(), ...this.recent.toArray()];
  }

  private bySeqNum(seqNum: number): EventRecord | undefined {
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const candidate = this.at(mid) as EventRecord;
      if (candidate.seqNum === seqNum) return candidate;
      if (candidate.seqNum < seqNum) low = mid + 1;
      else high = mid - 1;
    }
    return undefined;
  }
}
