import type { Event } from './event';
import type { ResyncOperations, UpdateOperations } from './transaction';
import type { KubeStateData } from './types';

type MaybePromise<T> = T | Promise<T>;

/**
 * Reacts to events by adding operations to the event's transaction.
 * Every method may return a Promise; errors are thrown (or rejected):
 * `FatalError` stops the loop, `AbortEventError` aborts the event, anything else is non-fatal.
 */
export interface EventHandler {
  /** Identifies the handler in logs and history. */
  readonly name: string;
  handlesEvent(event: Event): MaybePromise<boolean>;
  /** Builds the handler's whole configuration; `resyncCount` is 1 for the startup resync. */
  resync(event: Event, kubeStateData: KubeStateData, resyncCount: number, txn: ResyncOperations): MaybePromise<void>;
  /** Reacts incrementally; returns a human-readable description of the change (may be empty). */
  update(event: Event, txn: UpdateOperations): MaybePromise<string | void>;
  /** Reverts internal changes made by `update` for a RevertOnFailure event that failed. */
  revert(event: Event): MaybePromise<void>;
  /** A dump of the handler's internal state, compared around a VerificationResync. */
  describeInternalData?(): MaybePromise<string>;
}
