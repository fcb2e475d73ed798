import type { ControllerClock } from '../src/api/clock';

/**
 * Times out the one call an actor has in flight, with at most one timer per time limit however
 * many calls there are: a call records when it started, and the timer, armed once, checks on
 * expiry whether the call then in flight is overdue (else it re-arms for the rest). A timer per
 * call costs about a microsecond and garbage on every commit; this costs a clock read.
 */
export class Watchdog {
  private timer: unknown;
  /** The call in flight: when it started and what to do when it is overdue (no object per call). */
  private startedAt = 0;
  private expire: (() => void) | undefined;
  private generation = 0;

  constructor(
    private readonly ms: number,
    private readonly clock: ControllerClock,
  ) {}

  /** Watches a call; `expire` runs if it is still the call in flight `ms` after now. Returns its ticket for `unwatch`. */
  watch(expire: () => void): number {
    if (this.ms <= 0) return 0;
    this.startedAt = this.clock.now();
    this.expire = expire;
    if (this.timer === undefined) this.arm(this.ms);
    return ++this.generation;
  }

  /** The call of `ticket` settled. */
  unwatch(ticket: number): void {
    if (ticket === this.generation) this.expire = undefined;
  }

  private arm(ms: number): void {
    const timer = this.clock.setTimeout(() => this.check(), ms);
    // The call in flight keeps the process alive if it must; the watchdog alone must not.
    (timer as { unref?: () => void } | undefined)?.unref?.();
    this.timer = timer;
  }

  private check(): void {
    this.timer = undefined;
    const expire = this.expire;
    if (!expire) return;
    const overdueIn = this.startedAt + this.ms - this.clock.now();
    if (overdueIn > 0) {
      this.arm(overdueIn);
      return;
    }
    this.expire = undefined;
    expire();
  }

  /** Stops the timer (the actor stops). */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.expire = undefined;
  }
}
