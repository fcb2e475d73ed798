import type { EventMethodType } from '../api/enums';
import type { Event } from '../api/event';
import type { RecordedTransaction } from '../api/southbound';
import { HistoryRecord, type CallSlot } from './eventRecord';
import { Fifo } from './fifo';

/** Records per chunk by default (a power of two): about 40 KB of slots per chunk. */
const DEFAULT_CHUNK_BITS = 8;

type Batch = { first: number; size: number };

/** A new column of `capacity` slots, all `fill`: numbers stay unboxed in a column that only ever holds numbers. */
function column<T>(capacity: number, fill: T): T[] {
  return new Array<T>(capacity).fill(fill);
}

/** The columns of a run of consecutive records: one slot per record in each. */
class HistoryChunk {
  // Numbers: never anything else, so that V8 keeps them as unboxed doubles. NaN = no follow-up.
  readonly seqNum: number[];
  readonly start: number[];
  readonly end: number[];
  readonly method: number[];
  readonly followUpTo: number[];
  readonly slotCount: number[];
  // References.
  readonly event: (Event | undefined)[];
  readonly name: (string | undefined)[];
  readonly rendered: (string | undefined)[];
  readonly txnError: (string | undefined)[];
  readonly txn: (RecordedTransaction | undefined)[];
  readonly batch: (Batch | undefined)[];
  readonly s0: CallSlot[];
  readonly s1: CallSlot[];
  readonly s2: CallSlot[];
  readonly s3: CallSlot[];
  readonly s4: CallSlot[];
  readonly s5: CallSlot[];
  readonly overflow: (CallSlot[] | undefined)[];

  constructor(size: number) {
    this.seqNum = column(size, 0);
    this.start = column(size, 0);
    this.end = column(size, 0);
    this.method = column(size, 0);
    this.followUpTo = column(size, Number.NaN);
    this.slotCount = column(size, 0);
    this.event = column<Event | undefined>(size, undefined);
    this.name = column<string | undefined>(size, undefined);
    this.rendered = column<string | undefined>(size, undefined);
    this.txnError = column<string | undefined>(size, undefined);
    this.txn = column<RecordedTransaction | undefined>(size, undefined);
    this.batch = column<Batch | undefined>(size, undefined);
    this.s0 = column<CallSlot>(size, undefined);
    this.s1 = column<CallSlot>(size, undefined);
    this.s2 = column<CallSlot>(size, undefined);
    this.s3 = column<CallSlot>(size, undefined);
    this.s4 = column<CallSlot>(size, undefined);
    this.s5 = column<CallSlot>(size, undefined);
    this.overflow = column<CallSlot[] | undefined>(size, undefined);
  }

  write(i: number, record: HistoryRecord): void {
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

  /** Lets go of what slot `i` points to (numbers stay: they hold nothing). */
  clear(i: number): void {
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
}

/**
 * History records, oldest first, stored field by field in columns. The history keeps thousands
 * of records for minutes; kept as objects, every record (and the array of its calls) was copied
 * by the garbage collector from one young space to the other, then into the old generation, and
 * swept there when it left: about a third of the loop's garbage-collection time. In columns a
 * record leaves nothing behind but the values it points to (its event, its change lines); `at`
 * rebuilds a HistoryRecord when someone reads one.
 *
 * The columns come in chunks of a fixed number of records, kept in a Fifo: the history grows and
 * shrinks a chunk at a time and never copies a record. Columns that doubled held the event loop
 * while they copied: 8 ms when the history reached 4,096 records and 17 ms at 8,192 on the
 * project's machine (fresh memory for 19 columns of 16,384 slots, each touched once), in the
 * middle of whatever stream of events was running.
 */
export class HistoryColumns {
  private readonly chunkBits: number;
  private readonly chunkMask: number;
  /** The chunks holding records, oldest first; the first holds the oldest record at `head`. */
  private readonly chunks = new Fifo<HistoryChunk>();
  private head = 0;
  private count = 0;
  /** The last chunk drained, kept for the next growth (a history at its bound reuses it). */
  private spare: HistoryChunk | undefined;

  /** `chunkBits`: records per chunk, as a power of two (tests use small chunks). */
  constructor(chunkBits = DEFAULT_CHUNK_BITS) {
    this.chunkBits = chunkBits;
    this.chunkMask = (1 << chunkBits) - 1;
  }

  get size(): number {
    return this.count;
  }

  push(record: HistoryRecord): void {
    const position = this.head + this.count;
    const index = position >> this.chunkBits;
    if (index === this.chunks.size) {
      this.chunks.push(this.spare ?? new HistoryChunk(1 << this.chunkBits));
      this.spare = undefined;
    }
    (this.chunks.at(index) as HistoryChunk).write(position & this.chunkMask, record);
    this.count++;
  }

  /** Drops the oldest record. */
  shift(): void {
    if (this.count === 0) return;
    const oldest = this.chunks.at(0) as HistoryChunk;
    oldest.clear(this.head);
    this.count--;
    if (++this.head > this.chunkMask || this.count === 0) {
      // The first chunk is drained (or the last record left it): it goes, kept as the spare.
      this.spare = this.chunks.shift();
      this.head = 0;
    }
  }

  /** The record `index` places after the oldest, rebuilt (a new object on every call). */
  at(index: number): HistoryRecord | undefined {
    if (index < 0 || index >= this.count) return undefined;
    const position = this.head + index;
    const chunk = this.chunkAt(position);
    const i = position & this.chunkMask;
    const followUpTo = chunk.followUpTo[i];
    const record = new HistoryRecord(
      chunk.event[i] as Event,
      chunk.seqNum[i],
      chunk.name[i] as string,
      chunk.method[i] as EventMethodType,
      chunk.start[i],
      Number.isNaN(followUpTo) ? undefined : followUpTo,
    );
    record.processingEnd = chunk.end[i];
    record.rendered = chunk.rendered[i];
    // Rendering a description can cost more than the rest of a read (a KubeStateChange renders
    // its values as JSON): the first reader's rendering is kept for the next ones.
    if (record.rendered === undefined) record.onRendered = (description) => this.keepRendered(record.seqNum, description);
    const txnError = chunk.txnError[i];
    const txn = chunk.txn[i];
    const batch = chunk.batch[i];
    if (txnError !== undefined) record.txnError = txnError;
    if (txn !== undefined) record.txn = txn;
    if (batch !== undefined) record.batch = batch;
    record.slotCount = chunk.slotCount[i];
    record.s0 = chunk.s0[i];
    record.s1 = chunk.s1[i];
    record.s2 = chunk.s2[i];
    record.s3 = chunk.s3[i];
    record.s4 = chunk.s4[i];
    record.s5 = chunk.s5[i];
    record.overflow = chunk.overflow[i];
    return record;
  }

  /** What queries filter on, without rebuilding the record. */
  seqNumAt(index: number): number {
    const position = this.head + index;
    return this.chunkAt(position).seqNum[position & this.chunkMask];
  }

  startAt(index: number): number {
    const position = this.head + index;
    return this.chunkAt(position).start[position & this.chunkMask];
  }

  endAt(index: number): number {
    const position = this.head + index;
    return this.chunkAt(position).end[position & this.chunkMask];
  }

  /** Keeps the description of record `seqNum`, if it is still here (records are in sequence-number order). */
  private keepRendered(seqNum: number, description: string): void {
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const candidate = this.seqNumAt(middle);
      if (candidate === seqNum) {
        const position = this.head + middle;
        this.chunkAt(position).rendered[position & this.chunkMask] = description;
        return;
      }
      if (candidate < seqNum) low = middle + 1;
      else high = middle - 1;
    }
  }

  /** The chunk of the record at `position` (counted from the first chunk's first slot). */
  private chunkAt(position: number): HistoryChunk {
    return this.chunks.at(position >> this.chunkBits) as HistoryChunk;
  }
}
