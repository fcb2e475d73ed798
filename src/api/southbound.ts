import type { KeyOperation } from './errors';
import type { ProtoMessage } from './types';

/** The most commits a southbound may have out at once (`Southbound.maxCommitsInFlight`). */
export const MAX_COMMITS_IN_FLIGHT = 16;

/** Which resync a transaction is; absent for an update. */
export type ResyncType = 'full' | 'upstream' | 'downstream';

/** Retry of failed operations by the southbound, each retry a transaction of its own. */
export interface RetryOptions {
  periodMs: number;
  /** 0 = unlimited. */
  maxAttempts: number;
  expBackoff: boolean;
}

/** One transaction from the controller to the southbound. */
export interface CommitRequest {
  /** The event name and each handler's change line. */
  description: string;
  /** The final values: handler values with external config merged in; `null` = delete. */
  values: ReadonlyMap<string, ProtoMessage | null>;
  resync?: ResyncType;
  /** Set on the first full resync after start (the southbound may log it verbosely). */
  startup?: boolean;
  revertOnFailure: boolean;
  retry?: RetryOptions;
}

/** What the southbound answers to a successful commit. */
export interface CommitResult {
  /** The southbound's sequence number (64-bit, exact). */
  seqNum?: bigint;
  recorded?: RecordedTransaction;
}

/**
 * The key-value scheduler the controller commits to. A failed commit rejects (or throws) with a
 * `TransactionError` listing per-key errors and/or an init error; `SouthboundUnavailableError`
 * when the southbound cannot be reached at all.
 */
export interface Southbound {
  /**
   * Applies one transaction. A southbound in the same process may answer synchronously (return
   * the result, throw the error): the controller then processes the event without a promise.
   */
  commit(request: CommitRequest): CommitResult | Promise<CommitResult>;
  /**
   * How many commits may be out at once (default 1: each commit is answered before the next is
   * sent). A southbound that applies commits in the order they were called, whatever happens to
   * the answers, may take more: the controller then sends a coalesced batch's commit while the
   * one before is still out, and still finishes their events in order. The gRPC client takes 2.
   * An integer from 1 to MAX_COMMITS_IN_FLIGHT.
   */
  readonly maxCommitsInFlight?: number;
  /**
   * Subscribes to resets of the southbound: it restarted and lost (or may have lost) its state.
   * The controller then runs a full resync before any further update. Returns the unsubscribe.
   */
  onReset?(listener: (reason: string) => void): () => void;
  /** Releases connections and timers. */
  close?(): Promise<void>;
}

/** State of a value in the southbound. */
export type ValueState =
  | 'NONEXISTENT'
  | 'MISSING'
  | 'UNIMPLEMENTED'
  | 'REMOVED'
  | 'CONFIGURED'
  | 'OBTAINED'
  | 'DISCOVERED'
  | 'PENDING'
  | 'INVALID'
  | 'FAILED'
  | 'RETRYING';

/** One operation the southbound executed within a transaction. */
export interface RecordedOperation {
  key: string;
  operation: KeyOperation;
  /** JSON renderings of the values, for humans and the REST history. */
  prevValue?: unknown;
  newValue?: unknown;
  prevState: ValueState;
  newState: ValueState;
  error?: string;
  isRevert: boolean;
  isRetry: boolean;
}

/** A transaction as the southbound recorded it. */
export interface RecordedTransaction {
  seqNum: bigint;
  txnType: 'nb' | 'retry';
  resyncType?: ResyncType;
  description: string;
  /** Epoch milliseconds. */
  start: number;
  stop: number;
  values: { key: string; value?: unknown }[];
  executed: RecordedOperation[];
}
