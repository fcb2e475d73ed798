import { EventMethodType, UpdateDirectionType, UpdateTransactionType, isResync } from '../src/api/enums';
import { isUpdateEvent, type Event, type UpdateEvent } from '../src/api/event';
import { InvalidEventError } from '../src/api/errors';
import type { EventRecord } from '../src/api/history';
import { EventTransaction } from './eventTransaction';

/** A handler taking part in the event; `error` when its handlesEvent failed. */
export interface SelectedHandler {
  name: string;
  error?: Error;
}

/** Reads an event's identity without trusting it: a user-defined event may throw. */
function identify(event: Event): { name: string; description: string; method?: EventMethodType } {
  let name = '<unnamed event>';
  try {
    name = String(event.getName());
  } catch {
    // keep the placeholder; the event fails with InvalidEventError
  }
  let description = name;
  try {
    description = String(event.toString());
  } catch {
    // keep the name
  }
  try {
    const method = event.method();
    if (typeof EventMethodType[method] === 'string') return { name, description, method };
  } catch {
    // no method: invalid
  }
  return { name, description };
}

/**
 * One event while the processor works on it: what kind of event it is, what happened so far
 * (first error, fatal, healing), and the record being written. Created once per event and
 * passed through the steps of "Processing one event".
 */
export class EventRun {
  readonly name: string;
  readonly description: string;
  readonly method?: EventMethodType;
  /** Set for a valid update event. */
  readonly updateEvent?: UpdateEvent;
  readonly resync: boolean;
  readonly txnType: UpdateTransactionType = UpdateTransactionType.BestEffort;
  readonly direction: UpdateDirectionType = UpdateDirectionType.Forward;
  readonly revertOnFailure: boolean;
  /** An event that breaks the contract: it is recorded and finished with this, no handler runs. */
  readonly invalid?: InvalidEventError;

  /** The first error: what the event is finished with. */
  error?: Error;
  fatal?: Error;
  needsHealing = false;
  aborted = false;
  commitFailed = false;
  readonly txn = new EventTransaction();
  selected: SelectedHandler[] = [];
  /** How many of `selected` were called, and the index of the one that stopped the event. */
  called = 0;
  stoppedAt = -1;
  /** Each handler's non-empty change description, for the commit's description. */
  readonly changes: string[] = [];
  record!: EventRecord;

  /** Timings are taken only while someone observes processed events. */
  readonly startedAt: number;
  readonly handlerDurationsMs: number[] = [];
  commitDurationMs?: number;

  constructor(
    readonly event: Event,
    readonly followUpTo: number | undefined,
    readonly timed: boolean,
  ) {
    this.startedAt = timed ? performance.now() : 0;
    const { name, description, method } = identify(event);
    this.name = name;
    this.description = description;
    this.method = method;
    if (method === undefined) {
      this.invalid = new InvalidEventError(`event "${name}" has no valid method()`);
    } else if (method === EventMethodType.Update && !isUpdateEvent(event)) {
      this.invalid = new InvalidEventError(`event "${name}" has method Update but does not implement UpdateEvent`);
    } else if (method === EventMethodType.Update && isUpdateEvent(event)) {
      try {
        this.txnType = event.transactionType();
        this.direction = event.direction();
        this.updateEvent = event;
      } catch (thrown) {
        this.invalid = new InvalidEventError(`event "${name}": transactionType()/direction() failed`, { cause: thrown });
      }
    }
    this.resync = method !== undefined && isResync(method);
    this.revertOnFailure = this.updateEvent !== undefined && this.txnType === UpdateTransactionType.RevertOnFailure;
    if (this.invalid) this.error = this.invalid;
  }

  /** Keeps the first error as the event's error. */
  fail(error: Error): void {
    this.error ??= error;
  }

  /** A BestEffort update or any resync needs healing after an error (the original never healed resyncs). */
  get healsAfterError(): boolean {
    return this.resync || (this.updateEvent !== undefined && this.txnType === UpdateTransactionType.BestEffort);
  }
}
