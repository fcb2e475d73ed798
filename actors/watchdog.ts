import type { ControllerClock } from '../src/api/clock';

/**
 * Times out the one call an actor has in flight, with at most one timer per time limit however
 * many calls there are: a call records when it started, and the timer, armed once, checks on
 * expiry whether the call then in flight is overdue (else it re-arms for the rest). A timer per
 * call costs about a microsecond and garbage on every commit; this costs a clock read.
 */
export class Watchdog {
  private timer: unknown;
  private call: { startedAt: number; expire(): void } | undefined;

  constructor(
    private readonly ms: number,
    private readonly clock: ControllerClock,
  ) {}

  /** Watches a call; `expire` runs if it is still the call in flight `ms` after now. Returns the unwatch. */
  watch(expire: () => void): () => void {
    if (this.ms <= 0) return noop;
    const call = { startedAt: this.clock.now(), expire };
    this.call = call;
    if (this.timer === undefined) this.arm(this.ms);
    return () => {
      if (this.call === call) this.call = undefined;
    };
  }

  private arm(ms: number): void {
    const timer = this.clock.setTimeout(() => this.check(), ms);
    // The call in flight keeps the process alive if it must; the watchdog alone must not.
    (timer as { unref?: () => void } | undefined)?.unref?.();
    this.timer = timer;
  }

  private check(): void {
    this.timer = undefined;
    const call = this.call;
    if (!call) return;
    const overdueIn = call.startedAt + this.ms - this.clock.now();
    if (overdueIn > 0) {
      this.arm(overdueIn);
      return;
    }
    this.call = undefined;
    call.expire();
  }

  /** Stops the timer (the actor stops). */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.call = undefined;
  }
}

function noop(): void {}
