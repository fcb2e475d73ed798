import { Fifo } from '../../loop/fifo';
import type { SchedulerRecordedTxn } from './types';

/**
 * The most recent recorded transactions, at most `capacity`; the oldest go first (and are let go
 * at once: one may be a 100,000-value resync). A queue in sequence-number order (transactions are
 * recorded in that order), searched by bisection: no Map of 64-bit keys to hash and to drain from
 * the front once per transaction.
 */
export class TxnHistory {
  private readonly txns = new Fifo<SchedulerRecordedTxn>();

  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`the recorded-transaction history needs room for at least 1 (got ${capacity})`);
  }

  get size(): number {
    return this.txns.size;
  }

  add(txn: SchedulerRecordedTxn): void {
    const last = this.txns.at(this.txns.size - 1);
    if (last && last.seqNum >= txn.seqNum) throw new RangeError(`transaction #${txn.seqNum} recorded after #${last.seqNum}`);
    this.txns.push(txn);
    while (this.txns.size > this.capacity) this.txns.shift();
  }

  get(seqNum: bigint): SchedulerRecordedTxn | undefined {
    let low = 0;
    let high = this.txns.size - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const candidate = this.txns.at(middle) as SchedulerRecordedTxn;
      if (candidate.seqNum === seqNum) return candidate;
      if (candidate.seqNum < seqNum) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /** Oldest first. */
  all(): SchedulerRecordedTxn[] {
    return this.txns.toArray();
  }
}
