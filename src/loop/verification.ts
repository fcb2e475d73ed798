import type { Logger } from 'pino';
import { VerificationMismatchError } from '../api/errors';
import type { HistoryRecord } from './eventRecord';
import type { HandlerCall } from '../../actors/handlerActor';
import type { Asker, CallOutcome } from '../../actors/request';
import type { HandlerRef } from './eventRun';

interface VerificationDeps {
  logger: Logger;
}

/**
 * Verification mode: a handler's internal data must be the same before and after a
 * VerificationResync, which rebuilds it from scratch; a difference means its incremental
 * updates drifted. Handlers without describeInternalData are not checked.
 */
export class VerificationCheck {
  private readonly before_ = new Map<HandlerRef, string>();

  constructor(
    private readonly deps: VerificationDeps,
    private readonly asker: Asker,
    private readonly handlers: readonly HandlerRef[],
    private readonly seqNum: number,
  ) {}

  private async describe(handler: HandlerRef): Promise<string | undefined> {
    const outcome: CallOutcome = await this.asker.ask<HandlerCall>(handler.actor, { type: 'describe', seqNum: this.seqNum, reply: this.asker.reply });
    if (!outcome.ok) {
      this.deps.logger.error({ seqNum: this.seqNum, handler: handler.name, err: outcome.error }, 'describeInternalData failed');
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
  async after(record: HistoryRecord): Promise<void> {
    for (const [handler, before] of this.before_) {
      const after = await this.describe(handler);
      if (after === undefined || after === before) continue;
      const mismatch = new VerificationMismatchError(handler.name, before, after);
      this.deps.logger.error({ seqNum: record.seqNum, handler: handler.name, before, after, err: mismatch }, 'verification failed');
      record.noteCallError(handler.name, mismatch.message);
    }
  }
}
