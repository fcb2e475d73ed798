import type { EventMethodType } from '../api/enums';
import type { Event } from '../api/event';
import type { EventRecord, HandlerRecord } from '../api/history';
import type { RecordedTransaction } from '../api/southbound';

/** `event.toString()`, or the name when it throws: a user-defined event may. */
function describeEvent(event: Event, name: string): string {
  try {
    return String(event.toString());
  } catch {
    return name;
  }
}

/**
 * A history record whose description is rendered the first time someone reads it (a log line
 * at info, the REST API, a dashboard): a KubeStateChange's description renders both values as
 * JSON, which costs more than the rest of its processing, and most records are never read.
 */
export class HistoryRecord implements EventRecord {
  processingEnd = 0;
  isFollowUp: boolean;
  followUpTo?: number;
  handlers: HandlerRecord[] = [];
  txnError?: string;
  txn?: RecordedTransaction;
  batch?: { first: number; size: number };
  private rendered: string | undefined;

  constructor(
    private readonly event: Event,
    readonly seqNum: number,
    readonly name: string,
    readonly method: EventMethodType,
    readonly processingStart: number,
    followUpTo: number | undefined,
  ) {
    this.isFollowUp = followUpTo !== undefined;
    if (followUpTo !== undefined) this.followUpTo = followUpTo;
  }

  get description(): string {
    this.rendered ??= describeEvent(this.event, this.name);
    return this.rendered;
  }

  /** The record as plain data (JSON, structured clones, test assertions). */
  toJSON(): EventRecord {
    const plain: EventRecord = {
      seqNum: this.seqNum,
      processingStart: this.processingStart,
      processingEnd: this.processingEnd,
      isFollowUp: this.isFollowUp,
      name: this.name,
      description: this.description,
      method: this.method,
      handlers: this.handlers,
    };
    if (this.followUpTo !== undefined) plain.followUpTo = this.followUpTo;
    if (this.txnError !== undefined) plain.txnError = this.txnError;
    if (this.txn !== undefined) plain.txn = this.txn;
    if (this.batch !== undefined) plain.batch = this.batch;
    return plain;
  }
}
