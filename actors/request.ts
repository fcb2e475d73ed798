import type { AnyActorRef } from 'xstate';
import { toError } from '../src/api/errors';
import type { Watchdog } from './watchdog';

/** The outcome of a call made through an actor: never a thrown error. */
export type CallOutcome<T = unknown> = { ok: true; value: T } | { ok: false; error: Error };

/** A request: the call and where its outcome goes. */
export type Request<C> = C & { reply: (outcome: CallOutcome) => void };

/** How long an asynchronous call may take, and what happens when it takes longer. One per actor, not per call. */
export interface CallTimeLimit<C> {
  watchdog: Watchdog;
  /** The error the call fails with when the time is up. */
  timeoutError(call: C): Error;
  /** The call settled after it had timed out: its outcome is ignored, but someone should hear of it. */
  onLateSettlement(call: C, outcome: CallOutcome): void;
}

/** Whether `value` has a `then` method; reading `then` may throw (a hostile getter): call it inside a try. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof thenOf(value) === 'function';
}

/** The `then` of a thenable, or undefined; reading `then` may itself throw (a hostile getter). */
function thenOf(value: unknown): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  return (value as { then?: unknown }).then;
}

/**
 * Replies with the outcome of a call that returned `result`, exactly once: synchronously for a
 * plain value (no microtask for synchronous handlers), later for a thenable. Whatever `result` is
 * (a thenable whose `then` throws, or whose getter throws, that never settles or settles twice)
 * becomes an outcome: the actor system never sees an error. With a time limit, an unsettled call
 * fails when it is up.
 */
export function replyWithResult<C>(result: unknown, reply: (outcome: CallOutcome) => void, limit?: CallTimeLimit<C>, call?: C): void {
  let then: unknown;
  try {
    then = thenOf(result);
  } catch (thrown) {
    reply({ ok: false, error: toError(thrown) });
    return;
  }
  if (typeof then !== 'function') {
    reply(okOutcome(result));
    return;
  }
  let settled = false;
  let timedOut = false;
  let ticket = 0;
  const settle = (outcome: CallOutcome): void => {
    if (settled) {
      if (timedOut) limit?.onLateSettlement(call as C, outcome);
      return;
    }
    settled = true;
    limit?.watchdog.unwatch(ticket);
    reply(outcome);
  };
  if (limit) {
    ticket = limit.watchdog.watch(() => {
      timedOut = !settled;
      settle({ ok: false, error: limit.timeoutError(call as C) });
    });
  }
  // Promise.resolve adopts the thenable in a job of its own and turns a throwing `then` into a
  // rejection; a real promise is used as it is.
  Promise.resolve(result as PromiseLike<unknown>).then(
    (value) => settle({ ok: true, value }),
    (thrown: unknown) => settle({ ok: false, error: toError(thrown) }),
  );
}

const OK_TRUE: CallOutcome = Object.freeze({ ok: true, value: true });
const OK_FALSE: CallOutcome = Object.freeze({ ok: true, value: false });
const OK_UNDEFINED: CallOutcome = Object.freeze({ ok: true, value: undefined });
const OK_EMPTY: CallOutcome = Object.freeze({ ok: true, value: '' });

/** `{ ok: true, value }`, shared for the values most calls return (handlesEvent's booleans, update's ''). */
function okOutcome(value: unknown): CallOutcome {
  if (value === true) return OK_TRUE;
  if (value === false) return OK_FALSE;
  if (value === undefined) return OK_UNDEFINED;
  if (value === '') return OK_EMPTY;
  return { ok: true, value };
}

/**
 * Sends requests to actors and gives their outcomes, one call at a time (the processor awaits
 * each call before the next): a plain value when the actor answered during the send (synchronous
 * handlers), else a promise. One reply function serves every call, so a call costs no closure;
 * the request is built whole by the caller, reply included (copying it, or adding the reply to
 * it, costs more than the send).
 */
export class Asker {
  private outcome: CallOutcome | undefined;
  private resolve: ((outcome: CallOutcome) => void) | undefined;
  /** Put it in the request's literal (`{ type, ..., reply: asker.reply }`): adding it later would reshape the object. */
  readonly reply = (outcome: CallOutcome): void => {
    const resolve = this.resolve;
    if (resolve) {
      this.resolve = undefined;
      resolve(outcome);
    } else {
      this.outcome = outcome;
    }
  };

  ask<C extends { type: string }, T = unknown>(actor: AnyActorRef, request: Request<C>): CallOutcome<T> | Promise<CallOutcome<T>> {
    this.outcome = undefined;
    actor.send(request);
    const outcome = this.outcome as CallOutcome<T> | undefined;
    if (outcome) {
      this.outcome = undefined;
      return outcome;
    }
    return new Promise<CallOutcome<T>>((resolve) => {
      this.resolve = resolve as (outcome: CallOutcome) => void;
    });
  }
}
