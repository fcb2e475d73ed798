import { ControllerError } from '../src/api/errors';
import type { EventHistoryQuery, EventRecord } from '../src/api/history';

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
  /** Epoch ms when the controller started: records of its first period are kept for good. */
  startTime: number;
}

const QUERY_KEYS = ['seqNum', 'since', 'until', 'from', 'to', 'first', 'last'] as const;

/** Processed events in sequence-number order, queried like the original's REST endpoint. */
export class EventHistory {
  private records: EventRecord[] = [];

  constructor(private readonly options: EventHistoryOptions) {}

  get size(): number {
    return this.records.length;
  }

  append(record: EventRecord): void {
    if (this.options.enabled) this.records.push(record);
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
      return this.records.filter((r) => r.processingEnd >= sinceMs && r.processingStart <= untilMs);
    }
    if (from !== undefined || to !== undefined) {
      const low = from ?? 0;
      const high = to ?? Number.MAX_SAFE_INTEGER;
      return this.records.filter((r) => r.seqNum >= low && r.seqNum <= high);
    }
    if (first !== undefined) return this.records.slice(0, first);
    if (last !== undefined) return last === 0 ? [] : this.records.slice(-last);
    return [...this.records];
  }

  /** Drops records older than the age limit, except those of the first period of run time. */
  trim(now: number): number {
    const { ageLimitMs, permanentlyRecordedInitPeriodMs, startTime } = this.options;
    const permanentUntil = startTime + permanentlyRecordedInitPeriodMs;
    const oldest = now - ageLimitMs;
    const before = this.records.length;
    this.records = this.records.filter((r) => r.processingStart < permanentUntil || r.processingEnd >= oldest);
    return before - this.records.length;
  }

  private bySeqNum(seqNum: number): EventRecord | undefined {
    let low = 0;
    let high = this.records.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const candidate = this.records[mid];
      if (candidate.seqNum === seqNum) return candidate;
      if (candidate.seqNum < seqNum) low = mid + 1;
      else high = mid - 1;
    }
    return undefined;
  }
}
