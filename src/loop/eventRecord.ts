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
  txnError?: string;
  txn?: RecordedTransaction;
  batch?: { first: number; size: number };
  private rendered: string | undefined;
  /**
   * The handler calls, two slots each: a successful update or resync call as its handler's name
   * and its change line (or undefined), anything else (an error, a revert) as its HandlerRecord
   * and undefined. Records are kept by the ten thousand and read rarely; an object per call
   * would be most of what each record costs the garbage collector. `handlers` builds the objects.
   */
  private calls: (string | HandlerRecord | undefined)[] = [];

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

  get handlers(): HandlerRecord[] {
    const handlers: HandlerRecord[] = [];
    const { calls } = this;
    for (let i = 0; i < calls.length; i += 2) {
      const call = calls[i];
      if (typeof call !== 'string') handlers.push(call as HandlerRecord);
      else handlers.push(calls[i + 1] === undefined ? { handler: call, revert: false } : { handler: call, revert: false, change: calls[i + 1] as string });
    }
    return handlers;
  }

  /** A successful update or resync call, with the handler's change line if it gave one. */
  addCall(handler: string, change: string | undefined): void {
    this.calls.push(handler, change);
  }

  /** A failed call, or a revert. */
  addHandlerRecord(record: HandlerRecord): void {
    this.calls.push(record, undefined);
  }

  /** Notes an error on the handler's update or resync call (a verification mismatch); the first error stays. */
  noteCallError(handler: string, error: string): void {
    const { calls } = this;
    for (let i = 0; i < calls.length; i += 2) {
      const call = calls[i];
      if (call === handler) {
        const change = calls[i + 1] as string | undefined;
        calls[i] = change === undefined ? { handler, revert: false, error } : { handler, revert: false, change, error };
        calls[i + 1] = undefined;
        return;
      }
      if (typeof call === 'object' && call.handler === handler && !call.revert) {
        call.error ??= error;
        return;
      }
    }
  }

  /** The record is complete: its calls take exactly the room they need (an array grown by push has spare room). */
  seal(): void {
    if (this.calls.length > 0) this.calls = this.calls.slice();
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
