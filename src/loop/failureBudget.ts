import { FailedEventsEscalationError } from '../api/errors';
import { Fifo } from './fifo';

/**
 * Escalation like OTP's restart intensity: more than `maxFailures` failed events within
 * `periodMs` means healing is not converging, and the controller should give up (go fatal) so
 * that the agent is restarted. Keeps at most `maxFailures + 1` timestamps.
 */
export class FailureBudget {
  private readonly failures = new Fifo<number>();

  constructor(
    private readonly maxFailures: number,
    private readonly periodMs: number,
  ) {}

  /** Records a failure at `now`; returns the escalation error once the budget is exceeded. */
  recordFailure(now: number): FailedEventsEscalationError | undefined {
    if (this.maxFailures <= 0) return undefined;
    this.failures.push(now);
    for (let oldest = this.failures.at(0); oldest !== undefined && oldest <= now - this.periodMs; oldest = this.failures.at(0)) {
      this.failures.shift();
    }
    if (this.failures.size <= this.maxFailures) return undefined;
    const failed = this.failures.size;
    this.failures.shift();
    return new FailedEventsEscalationError(failed, this.periodMs, this.maxFailures);
  }
}
