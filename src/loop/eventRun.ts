import type { AnyActorRef } from 'xstate';
import { EventMethodType, UpdateDirectionType, UpdateTransactionType, isResync } from '../api/enums';
import { isUpdateEvent, type Event, type UpdateEvent } from '../api/event';
import { AbortEventError, EventProcessingError, FatalError, HandlerTimeoutError, InvalidEventError, SouthboundUnavailableError, TransactionError } from '../api/errors';
import type { HandlerRecord } from '../api/history';
import { HistoryRecord } from './eventRecord';
import { EventTransaction } from './eventTransaction';
import type { CallOutcome } from '../../actors/request';
import { onlyExternalConfigFailed, type CommitOutcome, type StageOutcome } from '../../actors/transactionActor';
import type { ConfigState } from './configState';
import type { CurrentEvent } from './eventProcessor';
import type { VerificationCheck } from './verification';

/** Whether the loop over handlers goes on after a call. */
export type Next = 'continue' | 'stop';

/** What an event may wait for, per handler call: made once per handler, not per call. */
export type HandlerWaits = Readonly<Record<'handlesEvent' | 'update' | 'resync' | 'revert', NonNullable<CurrentEvent['waitingFor']>>>;

/** A handler and its actor. */
export interface HandlerRef {
  readonly name: string;
  readonly actor: AnyActorRef;
  readonly waits: HandlerWaits;
}

/** A handler taking part in the event; `error` when its handlesEvent failed. */
export interface SelectedHandler extends HandlerRef {
  readonly error?: Error;
}

const NO_HANDLERS: SelectedHandler[] = [];

/** Reads an event's name and method without trusting it: a user-defined event may throw. */
function identify(event: Event): { name: string; method?: EventMethodType } {
  let name = '<unnamed event>';
  try {
    name = String(event.getName());
  } catch {
    // keep the placeholder; the event fails with InvalidEventError
  }
  try {
    const method = event.method();
    if (typeof EventMethodType[method] === 'string') return { name, method };
  } catch {
    // no method: invalid
  }
  return { name };
}

/**
 * One event while the processor works on it: what kind of event it is, what happened so far
 * (first error, fatal, healing), the record being written, and the rules that decide what an
 * error means (steps 7, 9 and 10 of "Processing one event"). Synchronous on purpose: the
 * processor awaits only the calls that return promises, so synchronous handlers cost no
 * microtask (see docs/architecture.md).
 */
export class EventRun {
  readonly name: string;
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
  /** The commit went through (the southbound answered and applied it). */
  committed = false;
  /** The commit found the southbound unavailable: an outage, handled apart from healing. */
  southboundUnavailable?: SouthboundUnavailableError;
  /** A handler call (or a revert) failed: the controller could not rebuild its own state. */
  handlerFailed = false;
  /** Coalescing: the event joins a batch (its transaction is staged, committed with the batch's). */
  joins = false;
  /** Verification mode: the check of a VerificationResync. */
  verification?: VerificationCheck;
  /** The call the event is waiting for (see CurrentEvent). */
  waitingFor?: CurrentEvent['waitingFor'];
  /** The step being run, named in the error when something outside the handler calls throws. */
  step = 'bookkeeping';
  readonly txn = new EventTransaction();
  /** The handlers taking part; while every handler asked so far takes part, the processor's own array of them (no copy per event). */
  selected: readonly SelectedHandler[] = NO_HANDLERS;
  /** How many of `selected` were called, and the index of the one that stopped the event. */
  called = 0;
  stoppedAt = -1;
  record!: HistoryRecord;
  /** Coalescing: the keys this event's transaction staged for the batch commit. */
  stagedKeys?: ReadonlyMap<string, unknown>;

  /** Timings are taken only while someone observes processed events. */
  readonly startedAt: number;
  readonly handlerDurationsMs: number[] | undefined;
  commitDurationMs?: number;

  constructor(
    readonly event: Event,
    readonly seqNum: number,
    readonly followUpTo: number | undefined,
    readonly timed: boolean,
    /** When it was pushed (see QueuedEvent); NaN when not measured. */
    readonly pushedAt = NaN,
  ) {
    this.startedAt = timed ? performance.now() : 0;
    this.handlerDurationsMs = timed ? [] : undefined;
    const { name, method } = identify(event);
    this.name = name;
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

  /**
   * After the event is finished: drops the references only processing needed (its values, the
   * staged keys, the selected handlers). A run often outlives its event a little (a coalesced
   * batch keeps up to maxCoalescedEvents of them), long enough for V8 to allocate runs straight
   * into the old generation; a dead old run that still pointed at the event's young values would
   * keep them alive through every scavenge until the next full GC, so each value would be copied
   * and promoted. Measured: up to half the throughput of a burst.
   */
  release(): void {
    this.txn.release();
    this.stagedKeys = undefined;
    this.selected = NO_HANDLERS;
    this.verification = undefined;
    this.waitingFor = undefined;
  }

  /**
   * Steps 3-4: the answer of `all[index]` (the handlers in their order for this event) to
   * handlesEvent; a failed one takes part, with its error. Answers come in order, from index 0.
   */
  selectOutcome(all: readonly HandlerRef[], index: number, outcome: CallOutcome<boolean>): void {
    const handler = all[index];
    const takesPart: SelectedHandler | undefined = !outcome.ok ? { ...handler, error: outcome.error } : outcome.value ? handler : undefined;
    if (index === 0) this.selected = all;
    if (this.selected === all) {
      if (takesPart === handler) return;
      this.selected = all.slice(0, index);
    }
    if (takesPart) (this.selected as SelectedHandler[]).push(takesPart);
  }

  /** Keeps the first error as the event's error. */
  fail(error: Error): void {
    this.error ??= error;
  }

  /** Steps 5-6: the event's history record (also for an event that failed before its handlers ran). */
  startRecord(now: number): HistoryRecord {
    this.record ??= new HistoryRecord(this.event, this.seqNum, this.name, this.method ?? EventMethodType.Update, now, this.followUpTo);
    return this.record;
  }

  /**
   * Something outside the handler calls threw (a malformed event, a defect of the runtime): the
   * event fails with that, it is still finished exactly once, and the loop goes on. State may be
   * half-updated, so an event that heals after errors asks for healing.
   */
  failStep(thrown: unknown): void {
    this.handlerFailed = true;
    this.fail(new EventProcessingError(this.step, thrown));
    if (this.healsAfterError) this.needsHealing = true;
  }

  /** A BestEffort update or any resync needs healing after an error (the original never healed resyncs). */
  get healsAfterError(): boolean {
    return this.resync || (this.updateEvent !== undefined && this.txnType === UpdateTransactionType.BestEffort);
  }

  /**
   * Step 7: records a handler's update/resync call. Fatal and Abort stop the event,
   * RevertOnFailure stops it to revert, BestEffort and resyncs go on and need healing,
   * BestEffortIgnoreErrors just goes on.
   */
  recordCall(handler: string, outcome: CallOutcome): Next {
    this.called++;
    if (outcome.ok) {
      const { value } = outcome;
      if (this.updateEvent && typeof value === 'string' && value !== '') {
        this.record.addCall(handler, value);
      } else {
        this.record.addCall(handler, undefined);
      }
      return 'continue';
    }
    const { error } = outcome;
    this.record.addHandlerRecord(failedCall(handler, false, error));
    this.handlerFailed = true;
    this.fail(error);
    if (error instanceof FatalError) {
      this.fatal = error;
      return 'stop';
    }
    if (error instanceof AbortEventError) {
      // The original never honoured Abort for best-effort events (it tested FatalError twice).
      // Healing only where healing is promised: BestEffortIgnoreErrors promises none, and a
      // RevertOnFailure event is reverted instead.
      this.aborted = true;
      if (this.healsAfterError) this.needsHealing = true;
      this.stoppedAt = this.called - 1;
      return 'stop';
    }
    if (this.revertOnFailure) {
      this.stoppedAt = this.called - 1;
      return 'stop';
    }
    if (this.healsAfterError) this.needsHealing = true;
    return 'continue';
  }

  /** Steps 8-9 are skipped after Fatal, Abort, or a RevertOnFailure handler error. */
  get commits(): boolean {
    return !this.fatal && !this.aborted && !(this.revertOnFailure && this.error);
  }

  /**
   * The commit's description: the event name and each handler's change line, read from the
   * record (which keeps them for the history anyway) when a southbound asks (LazyCommitRequest).
   */
  commitDescription(): string {
    const changes = this.record.changeLines();
    return changes.length === 0 ? this.name : `${this.name}\n * ${changes.join('\n * ')}`;
  }

  /**
   * Step 9: a failed commit fails the event and needs healing unless only external config failed.
   * An unavailable southbound is an outage, not an error of the configuration: the event fails,
   * but healing is left to the outage handling (retries with backoff, then a full resync).
   * External config that could not be merged fails the event too, without healing: a resync
   * would merge the same values again.
   */
  recordCommit(outcome: CommitOutcome): void {
    if (outcome.result?.recorded) this.record.txn = outcome.result.recorded;
    this.recordMergeErrors(outcome.mergeErrors);
    const { error } = outcome;
    if (error) this.recordCommitError(error, outcome.onlyExternalConfigFailed);
    else this.committed = outcome.committed;
  }

  /** Coalescing: the event's transaction was merged and staged for the batch commit. */
  recordStage(settled: CallOutcome<StageOutcome>): void {
    if (!settled.ok) {
      this.failStep(settled.error);
      return;
    }
    this.stagedKeys = settled.value.keys;
    this.recordMergeErrors(settled.value.mergeErrors);
  }

  /**
   * Coalescing, step 9: this event's part of the batch commit's outcome. A key error fails the
   * events whose transactions staged that key, each with the errors of its own keys only; an
   * error of the whole transaction (an init error, an outage) fails every event of the batch.
   */
  recordBatchCommit(outcome: CommitOutcome, state: ConfigState, batch: { first: number; size: number } | undefined): void {
    if (outcome.result?.recorded) this.record.txn = outcome.result.recorded;
    if (batch && batch.size > 1) this.record.batch = batch;
    const { error } = outcome;
    if (!error) {
      this.committed = outcome.committed;
      return;
    }
    if (!(error instanceof TransactionError) || error.initError || error.keyErrors.length === 0) {
      this.recordCommitError(error, false);
      return;
    }
    const keys = this.stagedKeys;
    const own = error.keyErrors.filter((keyError) => keys?.has(keyError.key) === true);
    if (own.length === 0) {
      this.committed = true;
      return;
    }
    const ownError = new TransactionError({ keyErrors: own, seqNum: error.seqNum, recorded: error.recorded, cause: error });
    this.recordCommitError(ownError, onlyExternalConfigFailed(ownError, this.txn.ownValues, state));
  }

  private recordCommitError(error: Error, onlyExternalConfigFailed: boolean): void {
    this.commitFailed = true;
    this.appendTxnError(error.message);
    this.fail(error);
    if (error instanceof SouthboundUnavailableError) this.southboundUnavailable = error;
    else if (!this.revertOnFailure && this.healsAfterError && !onlyExternalConfigFailed) this.needsHealing = true;
  }

  private recordMergeErrors(mergeErrors: readonly Error[]): void {
    for (const mergeError of mergeErrors) {
      this.fail(mergeError);
      this.appendTxnError(mergeError.message);
    }
  }

  private appendTxnError(message: string): void {
    this.record.txnError = this.record.txnError === undefined ? message : `${this.record.txnError}; ${message}`;
  }

  /** Step 10 happens for a failed RevertOnFailure event that is not fatal. */
  get reverts(): boolean {
    return this.revertOnFailure && this.error !== undefined && !this.fatal;
  }

  /** Step 10: the handlers called before the one that failed (all of them when the commit failed), last first. */
  handlersToRevert(): SelectedHandler[] {
    return (this.commitFailed ? this.selected.slice(0, this.called) : this.selected.slice(0, Math.max(this.stoppedAt, 0))).reverse();
  }

  /** Step 10: a revert error needs healing; a Fatal one stops reverting. */
  recordRevert(handler: string, outcome: CallOutcome): Next {
    if (outcome.ok) {
      this.record.addHandlerRecord({ handler, revert: true });
      return 'continue';
    }
    this.record.addHandlerRecord(failedCall(handler, true, outcome.error));
    this.handlerFailed = true;
    if (outcome.error instanceof FatalError) {
      this.fatal = outcome.error;
      return 'stop';
    }
    this.needsHealing = true;
    return 'continue';
  }
}

/** The record of a failed handler call. */
function failedCall(handler: string, revert: boolean, error: Error): HandlerRecord {
  return error instanceof HandlerTimeoutError ? { handler, revert, error: error.message, timedOut: true } : { handler, revert, error: error.message };
}
