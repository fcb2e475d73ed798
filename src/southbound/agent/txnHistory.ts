import type { SchedulerRecordedTxn } from './types';

/**
 * The most recent recorded transactions, at most `capacity`; the oldest go first. A queue in
 * sequence-number order (transactions are recorded in that order), searched by bisection: no
 * Map of 64-bit keys to hash and to drain from the front once per transaction.
 */
export class TxnHistory {
  private txns: SchedulerRecordedTxn[] = [];
  private head = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`the recorded-transaction history needs room for at least 1 (got ${capacity})`);
  }

  get size(): number {
    return this.txns.length - this.head;
  }

  add(txn: SchedulerRecordedTxn): void {
    const last = this.txns[this.txns.length - 1];
    if (last && last.seqNum >= txn.seqNum) throw new RangeError(`transaction #${txn.seqNum} recorded after #${last.seqNum}`);
    this.txns.push(txn);
    if (this.size > this.capacity) this.head = this.txns.length - this.capacity;
    // Drop the consumed front now and then, so the queue stays about `capacity` long.
    if (this.head >= this.capacity) {
      this.txns = this.txns.slice(this.head);
      this.head = 0;
    }
  }

  get(seqNum: bigint): SchedulerRecordedTxn | undefined {
    // The one just recorded is the one asked for after every commit.
    const last = this.txns[this.txns.length - 1];
    if (last?.seqNum === seqNum) return last;
    let low = this.head;
    let high = this.txns.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const candidate = this.txns[middle];
      if (candidate.seqNum === seqNum) return candidate;
      if (candidate.seqNum < seqNum) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /** Oldest first. */
  all(): SchedulerRecordedTxn[] {
    return this.txns.slice(this.head);
  }
}
