import type { ControllerClock } from '../src/api/clock';

/** A call being watched: when it started and what to do when it is overdue. */
interface WatchedCall {
  startedAt: number;
  expire: () => void;
}

/**
 * Times out the calls an actor has in flight, with at most one timer per time limit however many
 * calls there are: a call records when it started, and the timer, armed once, checks on expiry
 * which calls are overdue (else it re-arms for the rest of the oldest). A timer per call costs
 * about a microsecond and garbage on every commit; this costs a clock read and a map entry, and
 * only for calls that did not answer at once. Usually one call is in flight; the transaction
 * actor may have several commits out when the southbound pipelines them.
 */
export class Watchdog {
  private timer: unknown;
  /** In the order they started, so the first is the next to be overdue (all have the same limit). */
  private readonly calls = new Map<number, WatchedCall>();
  private nextTicket = 1;

  constructor(
    private readonly ms: number,
    private readonly clock: ControllerClock,
  ) {}

  /** Watches a call; `expire` runs if it has not been unwatched `ms` after now. Returns its ticket for `unwatch`. */
  watch(expire: () => void): number {
    if (this.ms <= 0) return 0;
    const ticket = this.nextTicket++;
    this.calls.set(ticket, { startedAt: this.clock.now(), expire });
    if (this.timer === undefined) this.arm(this.ms);
    return ticket;
  }

  /** The call of `ticket` settled. */
  unwatch(ticket: number): void {
    this.calls.delete(ticket);
  }

  private arm(ms: number): void {
    const timer = this.clock.setTimeout(() => this.check(), ms);
    // The call in flight keeps the process alive if it must; the watchdog alone must not.
    (timer as { unref?: () => void } | undefined)?.unref?.();
    this.timer = timer;
  }

  private check(): void {
    this.timer = undefined;
    const now = this.clock.now();
    const overdue: Array<() => void> = [];
    for (const [ticket, call] of this.calls) {
      const overdueIn = call.startedAt + this.ms - now;
      if (overdueIn > 0) {
        this.arm(overdueIn);
        break;
      }
      this.calls.delete(ticket);
      overdue.push(call.expire);
    }
    // After the timer is set right: an `expire` may watch a new call.
    for (const expire of overdue) expire();
  }

  /** Stops the timer (the actor stops). */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.calls.clear();
  }
}
