import { UpdateTransactionType, isUpdateEvent, type Event } from '../../src';

/**
 * What a handler's internal state was before each RevertOnFailure event, so that `revert(event)`
 * can restore it. Only RevertOnFailure events are recorded: no other event is ever reverted, so
 * best-effort events (the bulk of the traffic) pay nothing. A WeakMap keyed by the event drops the
 * entry once the event is gone.
 */
export class RevertJournal<State> {
  private readonly before = new WeakMap<Event, State>();

  /** Records `snapshot()` before the handler changes anything for `event`. */
  remember(event: Event, snapshot: () => State): void {
    if (!isUpdateEvent(event) || event.transactionType() !== UpdateTransactionType.RevertOnFailure) return;
    if (!this.before.has(event)) this.before.set(event, snapshot());
  }

  /** The state before `event`, once; undefined when nothing was recorded. */
  take(event: Event): State | undefined {
    const state = this.before.get(event);
    this.before.delete(event);
    return state;
  }
}
