import { UpdateTransactionType } from '../api/enums';
import { isUpdateEvent, type Event } from '../api/event';
import type { EventRun } from './eventRun';

/**
 * The events whose transactions are staged for one coalesced commit, in processing order. They
 * are finished, in that order, once the commit is answered.
 */
export class CoalescedBatch {
  private runs: EventRun[] = [];

  /** Only BestEffort and BestEffortIgnoreErrors updates join: a RevertOnFailure update needs its own transaction. */
  static bestEffort(event: Event): boolean {
    if (!isUpdateEvent(event)) return false;
    const type = event.transactionType();
    return type === UpdateTransactionType.BestEffort || type === UpdateTransactionType.BestEffortIgnoreErrors;
  }

  get size(): number {
    return this.runs.length;
  }

  add(run: EventRun): void {
    this.runs.push(run);
  }

  /** Empties the batch and returns its events. */
  take(): EventRun[] {
    const runs = this.runs;
    this.runs = [];
    return runs;
  }
}
