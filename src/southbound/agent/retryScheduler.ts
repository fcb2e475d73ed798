import type { RetryOptions } from '../../api/southbound';

/** Failed keys of one transaction, retried together as one retry transaction. */
export interface RetryGroup {
  keys: string[];
  /** The sequence number of the transaction whose failures this group retries (the keys' retry token). */
  token: bigint;
  /** 1 for the first retry. */
  attempt: number;
  options: RetryOptions;
}

/** The delay before retry `attempt` (1-based): the period, doubled per attempt with backoff. */
export function retryDelayMs(options: RetryOptions, attempt: number): number {
  return options.expBackoff ? options.periodMs * 2 ** (attempt - 1) : options.periodMs;
}

/** Whether a failure of retry `attempt` (0 = the original transaction) is retried again. */
export function willRetryAfter(options: RetryOptions, attempt: number): boolean {
  return options.maxAttempts === 0 || attempt < options.maxAttempts;
}

/** Owns the retry timers, so that closing the scheduler leaves none behind. */
export class RetryScheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly run: (group: RetryGroup) => void) {}

  schedule(group: RetryGroup): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) this.run(group);
    }, retryDelayMs(group.options, group.attempt));
    this.timers.add(timer);
  }

  get pending(): number {
    return this.timers.size;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
