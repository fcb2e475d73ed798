import type { Logger } from 'pino';
import type { LocalMirror, MirrorWrite } from './localMirror';
import type { StoredEntry } from './store';

/** What the agent's metrics and `/controller/state` read about the local mirror. */
export interface MirrorStatus {
  /** Mirror writes (changes, rewrites) that failed since start. */
  readonly writeFailures: number;
  /** False from a failed write until a rewrite from the remote DB succeeds. */
  readonly inSync: boolean;
  readonly lastError?: string;
}

export interface MirrorUpdaterOptions {
  mirror: LocalMirror;
  logger: Logger;
  /** Rewrites the mirror from the remote DB (the watcher queues it with its other work). */
  repair(): Promise<void>;
  /** First retry delay after a failure; doubled per failed retry up to `maxRetryMs`. Default 1000 ms. */
  minRetryMs?: number;
  /** Default 30000 ms. */
  maxRetryMs?: number;
}

/**
 * The watcher's writes to the local mirror. The mirror is a cache: a write that fails (a full
 * disk, an LMDB error) is logged, counted and repaired later by a rewrite from the remote DB,
 * retried with a growing delay until it succeeds; it never fails the watcher. While failures go
 * on, one line is logged per retry, not one per change.
 */
export class MirrorUpdater {
  private failures = 0;
  private inSync = true;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private closed = false;

  constructor(private readonly options: MirrorUpdaterOptions) {
    this.retryMs = options.minRetryMs ?? 1000;
  }

  status(): MirrorStatus {
    return { writeFailures: this.failures, inSync: this.inSync, ...(this.lastError !== undefined && { lastError: this.lastError }) };
  }

  /** See `LocalMirror.rewrite`; a success brings the mirror back in sync. */
  async rewrite(entries: readonly StoredEntry[], bad?: ReadonlyMap<string, boolean>): Promise<void> {
    try {
      await this.options.mirror.rewrite(entries, bad);
      if (!this.inSync) this.options.logger.info('local DB rewritten from the remote DB: in sync again');
      this.inSync = true;
      this.retryMs = this.options.minRetryMs ?? 1000;
    } catch (err) {
      this.failed(err, 'rewrite');
    }
  }

  /** The changes of one batch of watch events, in one transaction (one disk sync). */
  async apply(writes: readonly MirrorWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.options.mirror.apply(writes).catch((err: unknown) => this.failed(err, `write of ${writes.length} keys`));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private failed(err: unknown, operation: string): void {
    this.failures++;
    this.lastError = err instanceof Error ? err.message : String(err);
    const firstOfRun = this.inSync || this.timer === undefined;
    this.inSync = false;
    if (firstOfRun) {
      this.options.logger.error({ err, operation, failures: this.failures, retryInMs: this.retryMs }, 'local DB write failed: rewriting it from the remote DB later');
    }
    this.scheduleRepair();
  }

  private scheduleRepair(): void {
    if (this.closed || this.timer !== undefined) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.options.maxRetryMs ?? 30_000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.options.repair().catch((err: unknown) => this.failed(err, 'read the remote DB for the rewrite'));
    }, delay);
  }
}
