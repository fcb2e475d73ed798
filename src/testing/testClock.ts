import { SimulatedClock } from 'xstate';
import type { ControllerClock } from '../api/clock';

/**
 * The controller's clock in tests: XState's SimulatedClock, which only moves when told to, plus
 * what the testing kit needs to step through time: when the next timer is due. Every timer of
 * the controller (the machine's delays, handler and commit timeouts, the history's clock) runs on
 * it, so healing, deadlines and periodic timers are tested without sleeping.
 */
export class TestClock implements ControllerClock {
  private readonly simulated = new SimulatedClock();
  /** Timer id -> when it is due (epoch ms). */
  private readonly dueAt = new Map<number, number>();

  /** `startTime`: epoch milliseconds the clock starts at (default: the real time now). */
  constructor(startTime: number = Date.now()) {
    this.simulated.set(startTime);
  }

  now(): number {
    return this.simulated.now();
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.simulated.setTimeout(() => {
      this.dueAt.delete(id);
      fn();
    }, ms);
    this.dueAt.set(id, this.now() + Math.max(0, ms));
    return id;
  }

  clearTimeout(id: unknown): void {
    this.dueAt.delete(id as number);
    this.simulated.clearTimeout(id as number);
  }

  /** When the earliest pending timer is due, or undefined when none is pending. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const at of this.dueAt.values()) if (next === undefined || at < next) next = at;
    return next;
  }

  /** How many timers are pending. */
  get pendingTimers(): number {
    return this.dueAt.size;
  }

  /** Moves to `time` (never backwards) and runs every timer due by then, earliest first. */
  set(time: number): void {
    this.simulated.set(time);
  }
}
