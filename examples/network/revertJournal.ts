import { UpdateTransactionType, isUpdateEvent, type Event } from '../../src';

/**
 * How to undo what a handler changed in its internal state for each RevertOnFailure event, so
 * that `revert(event)` can restore it: one undo step per change, not a copy of the whole state
 * (a copy per event makes every event O(n) in the number of pods). Only RevertOnFailure events
 * are recorded: no other event is ever reverted, so best-effort events (the bulk of the
 * traffic) pay nothing. A WeakMap keyed by the event drops the entry once the event is gone.
 *
 * ```ts
 * if (this.journal.records(event)) this.journal.record(event, () => this.pods.delete(id));
 * ```
 */
export class RevertJournal {
  private readonly undo = new WeakMap<Event, (() => void)[]>();

  /** Whether changes made for `event` are recorded (check before building an undo step). */
  records(event: Event): boolean {
    return isUpdateEvent(event) && event.transactionType() === UpdateTransactionType.RevertOnFailure;
  }

  /** Records how to undo one change made for `event` (ignored unless `records(event)`). */
  record(event: Event, undo: () => void): void {
    if (!this.records(event)) return;
    let steps = this.undo.get(event);
    if (!steps) this.undo.set(event, (steps = []));
    steps.push(undo);
  }

  /** Undoes what was recorded for `event`, the last change first; once. */
  revert(event: Event): void {
    const steps = this.undo.get(event);
    this.undo.delete(event);
    if (steps) for (let i = steps.length - 1; i >= 0; i--) steps[i]();
  }
}
