import type { Logger } from 'pino';
// pino's own serializer, without loading pino: the main entry loads pino only for a default logger.
import { err as serializeError } from 'pino-std-serializers';
import type { EventRecord } from '../api/history';
import { methodName } from '../api/enums';
import { describeThrown } from '../api/errors';

/**
 * The two log lines of every event: when it starts and when it is finalized. Structured, one
 * line per fact, keyed by the event's sequence number; the objects are built only when the
 * level is enabled, because this runs on the hot path.
 */
export class EventLog {
  constructor(private readonly logger: Logger) {}

  /** Whether either line would be written (an error line is written at a lower level too). */
  get enabled(): boolean {
    return this.logger.isLevelEnabled('error');
  }

  newEvent(record: EventRecord, handlers: readonly string[]): void {
    if (!this.logger.isLevelEnabled('info')) return;
    this.logger.info(
      {
        seqNum: record.seqNum,
        event: record.name,
        method: methodName(record.method),
        description: record.description,
        handlers,
        ...(record.isFollowUp && { followUpTo: record.followUpTo }),
      },
      'new event',
    );
  }

  finalized(record: EventRecord, eventError: Error | undefined): void {
    const level = eventError ? 'error' : 'info';
    if (!this.logger.isLevelEnabled(level)) return;
    const errors: Record<string, string> = {};
    const handledBy: string[] = [];
    const revertedBy: string[] = [];
    for (const call of record.handlers) {
      (call.revert ? revertedBy : handledBy).push(call.handler);
      if (call.error) errors[call.revert ? `${call.handler} (revert)` : call.handler] = call.error;
    }
    this.logger[level](
      {
        seqNum: record.seqNum,
        event: record.name,
        durationMs: record.processingEnd - record.processingStart,
        handledBy,
        ...(revertedBy.length > 0 && { revertedBy }),
        ...(Object.keys(errors).length > 0 && { errors }),
        ...(record.txnError && { txnError: record.txnError }),
        ...(record.txn && { txnSeqNum: record.txn.seqNum.toString() }),
        ...(eventError && { err: eventError }),
      },
      'finalized event',
    );
  }
}

/**
 * pino's error serializer, made total: it reads `message`, `stack` and every cause, and a thrown
 * value with a throwing getter would make a log call throw inside the loop.
 */
export function safeErrorSerializer(error: unknown): unknown {
  try {
    return serializeError(error as Error);
  } catch {
    return { type: 'UnprintableError', message: describeThrown(error) };
  }
}

/** The controller's logger: a child of the user's, with the total error serializer. */
export function controllerLogger(base: Logger): Logger {
  return base.child({ component: 'controller' }, { serializers: { err: safeErrorSerializer } });
}
