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

/** A slot of a record's handler calls (see HistoryRecord). */
export type CallSlot = string | HandlerRecord | undefined;
const INLINE_SLOTS = 6;

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
  /** The description, once rendered. */
  rendered: string | undefined;
  /** Told the description once it is rendered: the history keeps it for the next reader. */
  onRendered: ((description: string) => void) | undefined = undefined;
  /*
   * The handler calls, two slots each: a successful update or resync call as its handler's name
   * and its change line (or undefined), anything else (an error, a revert) as its HandlerRecord
   * and undefined. The first three calls (most events have no more) are fields, the rest go to
   * `overflow`: no object per call and no array, and the event history stores these fields as
   * they are, in columns (HistoryColumns). `handlers` builds the objects.
   */
  slotCount = 0;
  s0: CallSlot = undefined;
  s1: CallSlot = undefined;
  s2: CallSlot = undefined;
  s3: CallSlot = undefined;
  s4: CallSlot = undefined;
  s5: CallSlot = undefined;
  overflow: CallSlot[] | undefined = undefined;

  constructor(
    readonly event: Event,
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
    for (let i = 0; i < this.slotCount; i += 2) {
      const call = this.slot(i);
      const change = this.slot(i + 1);
      if (typeof call !== 'string') handlers.push(call as HandlerRecord);
      else handlers.push(change === undefined ? { handler: call, revert: false } : { handler: call, revert: false, change: change as string });
    }
    return handlers;
  }

  /** `<handler>: <change line>` of each call that gave one, in call order (a commit's description). */
  changeLines(): string[] {
    const lines: string[] = [];
    for (let i = 0; i < this.slotCount; i += 2) {
      const change = this.changeAt(i);
      if (change !== undefined) lines.push(`${this.handlerAt(i)}: ${change}`);
    }
    return lines;
  }

  /** How many lines `changeLines` gives, without building them. */
  changeLineCount(): number {
    let count = 0;
    for (let i = 0; i < this.slotCount; i += 2) if (this.changeAt(i) !== undefined) count++;
    return count;
  }

  /** The change line of the call in slot `i`, if it gave one (a revert never does). */
  private changeAt(i: number): string | undefined {
    const call = this.slot(i);
    if (typeof call === 'string') return this.slot(i + 1) as string | undefined;
    return call && !call.revert ? call.change : undefined;
  }

  private handlerAt(i: number): string {
    const call = this.slot(i);
    return typeof call === 'string' ? call : (call as HandlerRecord).handler;
  }

  /** A successful update or resync call, with the handler's change line if it gave one. */
  addCall(handler: string, change: string | undefined): void {
    this.addSlots(handler, change);
  }

  /** A failed call, or a revert. */
  addHandlerRecord(record: HandlerRecord): void {
    this.addSlots(record, undefined);
  }

  /** Notes an error on the handler's update or resync call (a verification mismatch); the first error stays. */
  noteCallError(handler: string, error: string): void {
    for (let i = 0; i < this.slotCount; i += 2) {
      const call = this.slot(i);
      if (call === handler) {
        const change = this.slot(i + 1) as string | undefined;
        this.setSlot(i, change === undefined ? { handler, revert: false, error } : { handler, revert: false, change, error });
        this.setSlot(i + 1, undefined);
        return;
      }
      if (typeof call === 'object' && call.handler === handler && !call.revert) {
        call.error ??= error;
        return;
      }
    }
  }

  /** The record is complete: calls past the third take exactly the room they need (an array grown by push has spare room). */
  seal(): void {
    if (this.overflow) this.overflow = this.overflow.slice();
  }

  private addSlots(call: CallSlot, change: CallSlot): void {
    this.setSlot(this.slotCount, call);
    this.setSlot(this.slotCount + 1, change);
    this.slotCount += 2;
  }

  private slot(i: number): CallSlot {
    switch (i) {
      case 0:
        return this.s0;
      case 1:
        return this.s1;
      case 2:
        return this.s2;
      case 3:
        return this.s3;
      case 4:
        return this.s4;
      case 5:
        return this.s5;
      default:
        return this.overflow?.[i - INLINE_SLOTS];
    }
  }

  private setSlot(i: number, value: CallSlot): void {
    switch (i) {
      case 0:
        this.s0 = value;
        return;
      case 1:
        this.s1 = value;
        return;
      case 2:
        this.s2 = value;
        return;
      case 3:
        this.s3 = value;
        return;
      case 4:
        this.s4 = value;
        return;
      case 5:
        this.s5 = value;
        return;
      default:
        (this.overflow ??= [])[i - INLINE_SLOTS] = value;
    }
  }

  get description(): string {
    if (this.rendered === undefined) {
      this.rendered = describeEvent(this.event, this.name);
      this.onRendered?.(this.rendered);
    }
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
