import type { EventMethodType } from '../api/enums';
import type { Event } from '../api/event';
import type { RecordedTransaction } from '../api/southbound';
import { HistoryRecord, type CallSlot } from './eventRecord';

/** The smallest backing arrays; below it, the columns never shrink. */
const MIN_CAPACITY = 16;

type Batch = { first: number; size: number };

/** A new column of `capacity` slots, all `fill`: numbers stay unboxed in a column that only ever holds numbers. */
function column<T>(capacity: number, fill: T): T[] {
  return new Array<T>(capacity).fill(fill);
}

/**
 * History records, oldest first, stored field by field in columns (a FIFO on circular arrays, as
 * Fifo). The history keeps thousands of records for minutes; kept as objects, every record (and
 * the array of its calls) was copied by the garbage collector from one young space to the other,
 * then into the old generation, and swept there when it left: about a third of the loop's
 * garbage-collection time. In columns a record leaves nothing behind but the values it points to
 * (its event, its change lines); `at` rebuilds a HistoryRecord when someone reads one.
 */
export class HistoryColumns {
  private capacity = MIN_CAPACITY;
  private head = 0;
  private count = 0;

  // Numbers: never anything else, so that V8 keeps them as unboxed doubles. NaN = no follow-up.
  private seqNum = column(MIN_CAPACITY, 0);
  private start = column(MIN_CAPACITY, 0);
  private end = column(MIN_CAPACITY, 0);
  private method = column(MIN_CAPACITY, 0);
  private followUpTo = column(MIN_CAPACITY, Number.NaN);
  private slotCount = column(MIN_CAPACITY, 0);
  // References.
  private event = column<Event | undefined>(MIN_CAPACITY, undefined);
  private name = column<string | undefined>(MIN_CAPACITY, undefined);
  private rendered = column<string | undefined>(MIN_CAPACITY, undefined);
  private txnError = column<string | undefined>(MIN_CAPACITY, undefined);
  private txn = column<RecordedTransaction | undefined>(MIN_CAPACITY, undefined);
  private batch = column<Batch | undefined>(MIN_CAPACITY, undefined);
  private s0 = column<CallSlot>(MIN_CAPACITY, undefined);
  private s1 = column<CallSlot>(MIN_CAPACITY, undefined);
  private s2 = column<CallSlot>(MIN_CAPACITY, undefined);
  private s3 = column<CallSlot>(MIN_CAPACITY, undefined);
  private s4 = column<CallSlot>(MIN_CAPACITY, undefined);
  private s5 = column<CallSlot>(MIN_CAPACITY, undefined);
  private overflow = column<CallSlot[] | undefined>(MIN_CAPACITY, undefined);

  get size(): number {
    return this.count;
  }

  push(record: HistoryRecord): void {
    if (this.count === this.capacity) this.resize(this.capacity * 2);
    const i = (this.head + this.count) & (this.capacity - 1);
    this.count++;
    this.seqNum[i] = record.seqNum;
    this.start[i] = record.processingStart;
    this.end[i] = record.processingEnd;
    this.method[i] = record.method;
    this.followUpTo[i] = record.followUpTo ?? Number.NaN;
    this.slotCount[i] = record.slotCount;
    this.event[i] = record.event;
    this.name[i] = record.name;
    this.rendered[i] = record.rendered;
    this.txnError[i] = record.txnError;
    this.txn[i] = record.txn;
    this.batch[i] = record.batch;
    this.s0[i] = record.s0;
    this.s1[i] = record.s1;
    this.s2[i] = record.s2;
    this.s3[i] = record.s3;
    this.s4[i] = record.s4;
    this.s5[i] = record.s5;
    this.overflow[i] = record.overflow;
  }

  /** Drops the oldest record. */
  shift(): void {
    if (this.count === 0) return;
    this.clear(this.head);
    this.head = (this.head + 1) & (this.capacity - 1);
    this.count--;
    if (this.capacity > MIN_CAPACITY && this.count < this.capacity / 4) this.resize(this.capacity / 2);
  }

  /** The record `index` places after the oldest, rebuilt (a new object on every call). */
  at(index: number): HistoryRecord | undefined {
    if (index < 0 || index >= this.count) return undefined;
    const i = this.slot(index);
    const followUpTo = this.followUpTo[i];
    const record = new HistoryRecord(
      this.event[i] as Event,
      this.seqNum[i],
      this.name[i] as string,
      this.method[i] as EventMethodType,
      this.start[i],
      Number.isNaN(followUpTo) ? undefined : followUpTo,
    );
    record.processingEnd = this.end[i];
    record.rendered = this.rendered[i];
    // Rendering a description can cost more than the rest of a read (a KubeStateChange renders
    // its values as JSON): the first reader's rendering is kept for the next ones.
    if (record.rendered === undefined) record.onRendered = (description) => this.keepRendered(record.seqNum, description);
    const txnError = this.txnError[i];
    const txn = this.txn[i];
    const batch = this.batch[i];
    if (txnError !== undefined) record.txnError = txnError;
    if (txn !== undefined) record.txn = txn;
    if (batch !== undefined) record.batch = batch;
    record.slotCount = this.slotCount[i];
    record.s0 = this.s0[i];
    record.s1 = this.s1[i];
    record.s2 = this.s2[i];
    record.s3 = this.s3[i];
    record.s4 = this.s4[i];
    record.s5 = this.s5[i];
    record.overflow = this.overflow[i];
    return record;
  }

  /** What queries filter on, without rebuilding the record. */
  seqNumAt(index: number): number {
    return this.seqNum[this.slot(index)];
  }

  startAt(index: number): number {
    return this.start[this.slot(index)];
  }

  endAt(index: number): number {
    return this.end[this.slot(index)];
  }

  /** Keeps the description of record `seqNum`, if it is still here (records are in sequence-number order). */
  private keepRendered(seqNum: number, description: string): void {
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const candidate = this.seqNumAt(middle);
      if (candidate === seqNum) {
        this.rendered[this.slot(middle)] = description;
        return;
      }
      if (candidate < seqNum) low = middle + 1;
      else high = middle - 1;
    }
  }

  private slot(index: number): number {
    return (this.head + index) & (this.capacity - 1);
  }

  /** Lets go of what slot `i` points to (numbers stay: they hold nothing). */
  private clear(i: number): void {
    this.event[i] = undefined;
    this.name[i] = undefined;
    this.rendered[i] = undefined;
    this.txnError[i] = undefined;
    this.txn[i] = undefined;
    this.batch[i] = undefined;
    this.s0[i] = undefined;
    this.s1[i] = undefined;
    this.s2[i] = undefined;
    this.s3[i] = undefined;
    this.s4[i] = undefined;
    this.s5[i] = undefined;
    this.overflow[i] = undefined;
  }

  /** Moves the records, oldest first, into columns of `capacity` (a power of two). */
  private resize(capacity: number): void {
    const move = <T>(old: T[], fill: T): T[] => {
      const moved = column(capacity, fill);
      for (let k = 0; k < this.count; k++) moved[k] = old[(this.head + k) & (this.capacity - 1)];
      return moved;
    };
    this.seqNum = move(this.seqNum, 0);
    this.start = move(this.start, 0);
    this.end = move(this.end, 0);
    this.method = move(this.method, 0);
    this.followUpTo = move(this.followUpTo, Number.NaN);
    this.slotCount = move(this.slotCount, 0);
    this.event = move(this.event, undefined);
    this.name = move(this.name, undefined);
    this.rendered = move(this.rendered, undefined);
    this.txnError = move(this.txnError, undefined);
    this.txn = move(this.txn, undefined);
    this.batch = move(this.batch, undefined);
    this.s0 = move(this.s0, undefined);
    this.s1 = move(this.s1, undefined);
    this.s2 = move(this.s2, undefined);
    this.s3 = move(this.s3, undefined);
    this.s4 = move(this.s4, undefined);
    this.s5 = move(this.s5, undefined);
    this.overflow = move(this.overflow, undefined);
    this.capacity = capacity;
    this.head = 0;
  }
}
