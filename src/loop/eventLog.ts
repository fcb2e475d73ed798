import type { Logger } from 'pino';
import type { EventRecord } from '../api/history';
import { methodName } from '../api/enums';

/**
 * The two log lines of every event: when it starts and when it is finalized. Structured, one
 * line per fact, keyed by the event's sequence number; the objects are built only when the
 * level is enabled, because this runs on the hot path.
 */
export class EventLog {
  constructor(private readonly logger: Logger) {}

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
