import type { Logger } from 'pino';
import type { AnyActorRef } from 'xstate';
import { VerificationMismatchError } from '../api/errors';
import type { EventRecord } from '../api/history';
import type { HandlerCall } from '../../actors/handlerActor';
import { ask, type CallOutcome } from '../../actors/request';

interface VerificationDeps {
  logger: Logger;
  handlerActor(name: string): AnyActorRef;
}

/**
 * Verification mode: a handler's internal data must be the same before and after a
 * VerificationResync, which rebuilds it from scratch; a difference means its incremental
 * updates drifted. Handlers without describeInternalData are not checked.
 */
export class VerificationCheck {
  private readonly before_ = new Map<string, string>();

  constructor(
    private readonly deps: VerificationDeps,
    private readonly handlers: readonly string[],
    private readonly seqNum: number,
  ) {}

  private async describe(handler: string): Promise<string | undefined> {
    const outcome: CallOutcome = await ask<HandlerCall>(this.deps.handlerActor(handler), { type: 'describe', seqNum: this.seqNum });
    if (!outcome.ok) {
      this.deps.logger.error({ seqNum: this.seqNum, handler, err: outcome.error }, 'describeInternalData failed');
      return undefined;
    }
    return typeof outcome.value === 'string' ? outcome.value : undefined;
  }

  async before(): Promise<void> {
    for (const handler of this.handlers) {
      const description = await this.describe(handler);
      if (description !== undefined) this.before_.set(handler, description);
    }
  }

  /** Logs each mismatch as an error and notes it on the handler's history entry. */
  async after(record: EventRecord): Promise<void> {
    for (const [handler, before] of this.before_) {
      const after = await this.describe(handler);
      if (after === undefined || after === before) continue;
      const mismatch = new VerificationMismatchError(handler, before, after);
      this.deps.logger.error({ seqNum: record.seqNum, handler, before, after, err: mismatch }, 'verification failed');
      const entry = record.handlers.find((h) => h.handler === handler && !h.revert);
      if (entry && !entry.error) entry.error = mismatch.message;
    }
  }
}
