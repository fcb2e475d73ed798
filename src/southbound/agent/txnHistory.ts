import type { SchedulerRecordedTxn } from './types';

/** The most recent recorded transactions, by sequence number (oldest dropped first). */
export class TxnHistory {
  private readonly txns = new Map<bigint, SchedulerRecordedTxn>();

  constructor(private readonly capacity: number) {}

  add(txn: SchedulerRecordedTxn): void {
    this.txns.set(txn.seqNum, txn);
    // Maps iterate in insertion order: the first key is the oldest.
    while (this.txns.size > this.capacity) {
      const oldest = this.txns.keys().next();
      if (oldest.done) break;
      this.txns.delete(oldest.value);
    }
  }

  get(seqNum: bigint): SchedulerRecordedTxn | undefined {
    return this.txns.get(seqNum);
  }

  all(): SchedulerRecordedTxn[] {
    return [...this.txns.values()];
  }
}
