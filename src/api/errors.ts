import type { RecordedTransaction } from './southbound';

/**
 * The controller's typed errors. Code branches on the class, never on the message;
 * every error that wraps another keeps it as `cause`.
 */

/**
 * A message for anything thrown. Never throws: a thrown value may have no prototype, a `message`
 * getter that throws, or a `toString` that throws, and the loop must survive all of them.
 */
export function describeThrown(thrown: unknown): string {
  try {
    if (thrown instanceof Error) {
      const message: unknown = thrown.message;
      if (typeof message === 'string') return message;
    }
  } catch {
    // fall through to the generic renderings
  }
  try {
    return String(thrown);
  } catch {
    // an object without toString (Object.create(null)) or with one that throws
  }
  try {
    return Object.prototype.toString.call(thrown);
  } catch {
    return '<unprintable value>';
  }
}

const describe = describeThrown;

/** Whether `thrown` is an Error whose message can be read (a defective getter disqualifies it). */
function isUsableError(thrown: unknown): thrown is Error {
  try {
    return thrown instanceof Error && typeof thrown.message === 'string';
  } catch {
    return false;
  }
}

/** A thrown value that was not a usable Error; the value itself is kept as `cause`. */
export class NonErrorThrownError extends Error {
  constructor(thrown: unknown) {
    super(`non-Error thrown: ${describeThrown(thrown)}`, { cause: thrown });
    this.name = 'NonErrorThrownError';
  }
}

/** Turns anything thrown into an Error, keeping usable Errors as they are. Never throws. */
export function toError(thrown: unknown): Error {
  if (isUsableError(thrown)) return thrown;
  return new NonErrorThrownError(thrown);
}

/** Base class of every error the controller defines. */
export class ControllerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Stops the event loop: the agent must restart. The message is the original error's. */
export class FatalError extends ControllerError {
  constructor(originalError: unknown) {
    super(describe(originalError), { cause: originalError });
  }
  getOriginalError(): Error {
    return toError(this.cause);
  }
}

/** Aborts this event (reverting a RevertOnFailure update); a resync follows soon. */
export class AbortEventError extends ControllerError {
  constructor(originalError: unknown) {
    super(describe(originalError), { cause: originalError });
  }
  getOriginalError(): Error {
    return toError(this.cause);
  }
}

/**
 * A handler call did not settle within `handlerTimeout`: the event is aborted (reverted when it is
 * RevertOnFailure) and healing follows, as for an AbortEventError. A late settlement is ignored.
 */
export class HandlerTimeoutError extends AbortEventError {
  constructor(
    readonly handler: string,
    readonly call: string,
    readonly timeoutMs: number,
  ) {
    super(`handler "${handler}" did not finish ${call}() within ${timeoutMs} ms`);
  }
}

/**
 * More events failed within `failedEventsPeriod` than `maxFailedEventsInPeriod` allows: the
 * controller gives up, as an OTP supervisor does past its restart intensity.
 */
export class FailedEventsEscalationError extends ControllerError {
  constructor(
    readonly failedEvents: number,
    readonly periodMs: number,
    readonly maxFailedEvents: number,
  ) {
    super(`${failedEvents} events failed within ${periodMs} ms (maxFailedEventsInPeriod is ${maxFailedEvents})`);
  }
}

/** A processing step outside the handler calls failed for this event (a defect of the event or of the runtime). */
export class EventProcessingError extends ControllerError {
  constructor(readonly step: string, cause: unknown) {
    super(`${step} failed: ${describe(cause)}`, { cause });
  }
}

/** External config could not be merged into one key's value (e.g. messages of different types). */
export class ExternalConfigMergeError extends ControllerError {
  constructor(readonly key: string, cause: unknown) {
    super(`external config of "${key}" not merged: ${describe(cause)}`, { cause });
  }
}

/** The queue the event belongs to (main or follow-up) is full. */
export class EventQueueFullError extends ControllerError {
  constructor(readonly queue: 'main' | 'follow-up', readonly capacity: number, eventName: string) {
    super(`${queue} event queue is full (capacity ${capacity}): cannot queue "${eventName}"`);
  }
}

/** The controller is closing or closed and takes no more events. */
export class ControllerClosedError extends ControllerError {
  constructor(eventName?: string) {
    super(eventName ? `controller is closed: "${eventName}" was not processed` : 'controller is closed');
  }
}

/** The loop hit a fatal error (or missed the startup deadline) and finishes every event with an error. */
export class EventLoopAbortingError extends ControllerError {
  constructor(cause: unknown) {
    super(`event loop is aborting: ${describe(cause)}`, { cause });
  }
}

/** A blocking event pushed from inside the loop would wait for itself forever. */
export class BlockingEventInLoopError extends ControllerError {
  constructor(eventName: string, followUpTo: number) {
    super(
      `blocking event "${eventName}" pushed from inside the event loop (while processing event #${followUpTo}): ` +
        'it would wait for itself; push it from outside the loop or make it non-blocking',
    );
  }
}

/** An event or value that breaks the contract (e.g. an Update event that is not an UpdateEvent). */
export class InvalidEventError extends ControllerError {}

/** A value put into a transaction is not a protobufjs message. */
export class InvalidValueError extends ControllerError {}

/** A handler wrote to an event's transaction after its turn was over (e.g. after it timed out). */
export class TransactionClosedError extends ControllerError {
  constructor() {
    super('the transaction is closed: the handler calls of its event are over (did the handler time out?)');
  }
}

/** A controller setting has a value of the wrong type or range. */
export class InvalidConfigError extends ControllerError {
  constructor(readonly key: string, readonly value: unknown, expected: string) {
    super(`invalid controller setting "${key}": ${JSON.stringify(value)} (expected ${expected})`);
  }
}

/** No DBResync was processed within `startupResyncDeadline`. */
export class StartupResyncDeadlineError extends ControllerError {
  constructor(readonly deadlineMs: number) {
    super(`startup resync was not received within ${deadlineMs} ms`);
  }
}

/** A healing resync failed: the controller cannot get back to a known state. */
export class HealingFailedError extends ControllerError {
  constructor(cause: unknown) {
    super(`healing resync failed: ${describe(cause)}`, { cause });
  }
}

/** A handler's internal data changed across a VerificationResync. */
export class VerificationMismatchError extends ControllerError {
  constructor(readonly handler: string, readonly before: string, readonly after: string) {
    super(`verification of handler "${handler}" failed: internal data differs after resync`);
  }
}

/** A registered external config source failed to give its snapshot. */
export class ExternalSourceError extends ControllerError {
  constructor(readonly source: string, cause: unknown) {
    super(`external config source "${source}" failed: ${describe(cause)}`, { cause });
  }
}

/** The southbound operation a key error belongs to. */
export type KeyOperation = 'CREATE' | 'UPDATE' | 'DELETE';

/** One key the southbound failed to apply. */
export interface KeyError {
  key: string;
  operation?: KeyOperation;
  error: string;
}

/** A southbound commit failed: per-key errors and/or an error before anything was applied. */
export class TransactionError extends ControllerError {
  readonly keyErrors: readonly KeyError[];
  readonly initError?: string;
  /** The southbound's sequence number of the transaction; absent when it never started. */
  readonly seqNum?: bigint;
  /** What the southbound recorded, when it started the transaction. */
  readonly recorded?: RecordedTransaction;

  constructor(args: {
    keyErrors?: readonly KeyError[];
    initError?: string;
    seqNum?: bigint;
    recorded?: RecordedTransaction;
    cause?: unknown;
  }) {
    const keyErrors = args.keyErrors ?? [];
    const parts: string[] = [];
    if (args.initError) parts.push(args.initError);
    for (const e of keyErrors) parts.push(`${e.key}${e.operation ? ` (${e.operation})` : ''}: ${e.error}`);
    super(`transaction failed: ${parts.join('; ') || 'unknown error'}`, { cause: args.cause });
    this.keyErrors = keyErrors;
    this.initError = args.initError;
    this.seqNum = args.seqNum;
    this.recorded = args.recorded;
  }
}

/**
 * The southbound could not be reached or is not serving: the transaction never started. This is
 * an outage, not an error of the configuration: the controller keeps processing events, retries
 * with backoff and runs a full resync once a commit goes through again.
 */
export class SouthboundUnavailableError extends TransactionError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super({ initError: `southbound unavailable: ${reason}`, cause: options?.cause });
  }
}
