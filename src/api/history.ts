import type { EventMethodType } from './enums';
import type { HealingCause } from './events/healingResync';
import type { RecordedTransaction } from './southbound';

/** What one handler did with one event. */
export interface HandlerRecord {
  handler: string;
  /** True for a `revert` call, false for `update`/`resync`. */
  revert: boolean;
  change?: string;
  error?: string;
  /** The call did not settle within `handlerTimeout` (`error` says so too). */
  timedOut?: boolean;
}

/** One processed event, as kept in the event history. */
export interface EventRecord {
  seqNum: number;
  /** Epoch milliseconds. */
  processingStart: number;
  processingEnd: number;
  isFollowUp: boolean;
  followUpTo?: number;
  name: string;
  description: string;
  method: EventMethodType;
  handlers: HandlerRecord[];
  txnError?: string;
  /** What the southbound recorded for the event's transaction. */
  txn?: RecordedTransaction;
  /**
   * Set when the event's transaction was committed together with those of other queued updates
   * (setting `coalesceUpdates`): `first` is the sequence number of the batch's first event,
   * `size` the number of events whose transactions went out in that one commit.
   */
  batch?: { first: number; size: number };
}

/** A finished event as observers see it (`controller.processed$`), with timings for metrics. */
export interface ProcessedEvent {
  record: EventRecord;
  /** The error the event was finished with. */
  error?: Error;
  /** Milliseconds from the start of processing to the end, at sub-millisecond resolution. */
  durationMs: number;
  /** Milliseconds of each handler call, in the order of `record.handlers`. */
  handlerDurationsMs: number[];
  /** Milliseconds of the commit, when there was one. */
  commitDurationMs?: number;
  /** Milliseconds the event waited in its queue before its processing started. */
  queueWaitMs?: number;
  /** For a HealingResync: why it ran. */
  healingCause?: HealingCause;
}

/**
 * Selects history records; the parameters of `GET /controller/event-history`, applied by
 * precedence: `seqNum`, then `since`/`until` (Unix seconds), then `from` & `to` (sequence
 * numbers, inclusive), then `first`, then `last`. None = everything.
 */
export interface EventHistoryQuery {
  seqNum?: number;
  since?: number;
  until?: number;
  from?: number;
  to?: number;
  first?: number;
  last?: number;
}
