import { ControllerError } from '../api/errors';
import type { EventHistoryQuery, EventRecord } from '../api/history';
import type { HistoryRecord } from './eventRecord';
import { HistoryColumns } from './historyColumns';

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
 * Records are stored in columns (HistoryColumns) and rebuilt when read.
 */
export class EventHistory {
  /** Records of the init period (they come first in sequence order). */
  private readonly permanent = new HistoryColumns();
  /** Every later record. */
  private readonly recent = new HistoryColumns();
  private readonly permanentUntil: number;

  constructor(private readonly options: EventHistoryOptions) {
    this.permanentUntil = options.startTime + options.permanentlyRecordedInitPeriodMs;
  }

  get size(): number {
    return this.permanent.size + this.recent.size;
  }

  append(record: HistoryRecord): void {
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
      return this.matching((segment, i) => segment.endAt(i) >= sinceMs && segment.startAt(i) <= untilMs);
    }
    if (from !== undefined || to !== undefined) {
      const low = from ?? 0;
      const high = to ?? Number.MAX_SAFE_INTEGER;
      return this.matching((segment, i) => segment.seqNumAt(i) >= low && segment.seqNumAt(i) <= high);
    }
    if (first !== undefined) return this.slice(0, first);
    if (last !== undefined) return last === 0 ? [] : this.slice(Math.max(0, this.size - last), this.size);
    return this.all();
  }

  /** Drops records older than the age limit, except those of the init period. */
  trim(now: number): number {
    const oldest = now - this.options.ageLimitMs;
    let dropped = 0;
    while (this.recent.size > 0 && this.recent.endAt(0) < oldest) {
      this.recent.shift();
      dropped++;
    }
    return dropped;
  }

  /** The segment holding the `index`-th record, and its index there. */
  private locate(index: number): [HistoryColumns, number] {
    const permanentSize = this.permanent.size;
    return index < permanentSize ? [this.permanent, index] : [this.recent, index - permanentSize];
  }

  private at(index: number): EventRecord | undefined {
    const [segment, i] = this.locate(index);
    return segment.at(i);
  }

  /** The records for which `test` holds, oldest first; only those are rebuilt. */
  private matching(test: (segment: HistoryColumns, i: number) => boolean): EventRecord[] {
    const out: EventRecord[] = [];
    for (const segment of [this.permanent, this.recent]) {
      for (let i = 0; i < segment.size; i++) if (test(segment, i)) out.push(segment.at(i) as EventRecord);
    }
    return out;
  }

  private slice(start: number, end: number): EventRecord[] {
    const out: EventRecord[] = [];
    for (let i = start; i < Math.min(end, this.size); i++) out.push(this.at(i) as EventRecord);
    return out;
  }

  private all(): EventRecord[] {
    return this.slice(0, this.size);
  }

  private bySeqNum(seqNum: number): EventRecord | undefined {
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const [segment, i] = this.locate(mid);
      const candidate = segment.seqNumAt(i);
      if (candidate === seqNum) return segment.at(i);
      if (candidate < seqNum) low = mid + 1;
      else high = mid - 1;
    }
    return undefined;
  }
}
