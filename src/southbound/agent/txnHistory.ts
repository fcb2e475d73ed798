import { Fifo } from '../../loop/fifo';
import { KeptBytes } from '../grpc/keptBytes';
import { packRecordedTxn, packedSeqNum, unpackRecordedTxn } from './packedRecordedTxn';
import type { SchedulerRecordedTxn } from './types';

/**
 * Transactions kept as objects before they are packed: the session reads the newest one back at
 * once (to answer its commit), and a transaction packed that young would be packed for nothing.
 * Bounded by operations too: the newest 32 coalesced commits of a burst (1,536 values each) would
 * be 100,000 objects that every young collection copies.
 */
const FRESH_TXNS = 32;
const FRESH_OPERATIONS = 4096;
/**
 * Packing waits for the next turn of the event loop, so that the commit that recorded a
 * transaction is answered first (packing a burst's aged-out batch took about a fifth of the
 * southbound's time per batch, all of it before the answer). Transactions recorded within one
 * turn beyond this many times the budget are packed at once: a synchronous caller recording
 * thousands in a loop stays bounded.
 */
const FRESH_HARD_FACTOR = 4;

/**
 * The most recent recorded transactions, at most `capacity`; the oldest go first (and are let go
 * at once: one may be a 100,000-value resync). The newest few are kept as they were recorded, the
 * rest packed into one buffer each (packedRecordedTxn.ts), next to each other (KeptBytes):
 * thousands of transactions as objects made the garbage collector's pauses, and so every
 * commit's latency, grow with the history.
 * Queues in sequence-number order (transactions are recorded in that order), searched by
 * bisection: no Map of 64-bit keys to hash and to drain from the front once per transaction.
 */
export class TxnHistory {
  /** Older transactions, packed, oldest first. */
  private readonly packed = new Fifo<Buffer>();
  /** The newest transactions, as recorded, oldest first. */
  private readonly fresh = new Fifo<SchedulerRecordedTxn>();
  /** Where the packed transactions are written: next to each other, pinning no other buffers. */
  private readonly kept = new KeptBytes();
  /** Values and operations of the fresh transactions. */
  private freshOperations = 0;
  private packing: NodeJS.Immediate | undefined;

  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`the recorded-transaction history needs room for at least 1 (got ${capacity})`);
  }

  get size(): number {
    return this.packed.size + this.fresh.size;
  }

  add(txn: SchedulerRecordedTxn): void {
    const last = this.fresh.at(this.fresh.size - 1);
    if (last && last.seqNum >= txn.seqNum) throw new RangeError(`transaction #${txn.seqNum} recorded after #${last.seqNum}`);
    this.fresh.push(txn);
    this.freshOperations += operationsOf(txn);
    while (this.size > this.capacity) {
      if (this.packed.size > 0) this.packed.shift();
      else this.shiftFresh();
    }
    if (!this.overBudget(1)) return;
    if (this.overBudget(FRESH_HARD_FACTOR)) this.pack();
    else this.packing ??= setImmediate(this.pack);
  }

  /** The engine is closing: no packing is left pending. */
  close(): void {
    this.cancelPacking();
  }

  /** Packs the fresh transactions beyond the budget, oldest first; the newest stays as it is, whatever its size. */
  private readonly pack = (): void => {
    this.cancelPacking();
    while (this.overBudget(1)) this.packed.push(packRecordedTxn(this.shiftFresh(), this.kept));
  };

  private cancelPacking(): void {
    if (this.packing) clearImmediate(this.packing);
    this.packing = undefined;
  }

  private overBudget(factor: number): boolean {
    return this.fresh.size > FRESH_TXNS * factor || (this.fresh.size > 1 && this.freshOperations > FRESH_OPERATIONS * factor);
  }

  private shiftFresh(): SchedulerRecordedTxn {
    const txn = this.fresh.shift() as SchedulerRecordedTxn;
    this.freshOperations -= operationsOf(txn);
    return txn;
  }

  get(seqNum: bigint): SchedulerRecordedTxn | undefined {
    const first = this.fresh.at(0);
    if (first && seqNum >= first.seqNum) return bisect(this.fresh, seqNum, (txn) => txn.seqNum);
    const packed = bisect(this.packed, seqNum, packedSeqNum);
    return packed && unpackRecordedTxn(packed);
  }

  /** Oldest first. */
  all(): SchedulerRecordedTxn[] {
    return [...this.packed.toArray().map(unpackRecordedTxn), ...this.fresh.toArray()];
  }
}

function operationsOf(txn: SchedulerRecordedTxn): number {
  return txn.values.length + txn.executed.length;
}

function bisect<T>(items: Fifo<T>, seqNum: bigint, seqNumOf: (item: T) => bigint): T | undefined {
  let low = 0;
  let high = items.size - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const candidate = items.at(middle) as T;
    const candidateSeqNum = seqNumOf(candidate);
    if (candidateSeqNum === seqNum) return candidate;
    if (candidateSeqNum < seqNum) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}
