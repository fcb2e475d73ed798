import { WatchCompactedError } from './errors';
import type { ChangeRecord, LmdbStore } from './lmdbStore';
import type { StoreChange, StoreWatch, WatchListener } from './store';

const BATCH = 500;

/**
 * A watch on the LMDB store: follows the change log from a revision on. Writes of this process
 * poke it at once; writes of other processes are found by polling.
 */
export class LmdbWatch implements StoreWatch {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly store: LmdbStore,
    private readonly prefixes: readonly string[],
    private nextRevision: number,
    private readonly listener: WatchListener,
    private readonly pollIntervalMs: number,
    private readonly onClosed: () => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poke(), this.pollIntervalMs);
    this.poke();
  }

  /** Looks for new changes now (or right after the current pass). */
  poke(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again && !this.closed) {
        this.again = false;
        this.poke();
      }
    });
  }

  private matches(key: string): boolean {
    return this.prefixes.some((prefix) => key.startsWith(prefix));
  }

  private toChange(revision: number, record: ChangeRecord): StoreChange {
    return record.v === undefined
      ? { type: 'delete', key: record.k, revision }
      : { type: 'put', key: record.k, value: Buffer.from(record.v), revision };
  }

  private async drain(): Promise<void> {
    try {
      while (!this.closed && this.nextRevision <= this.store.currentRevision()) {
        const changes = this.store.readChanges(this.nextRevision, BATCH);
        if (changes.length === 0 || changes[0].revision > this.nextRevision) {
          // The log was trimmed past our position (a slow listener or a long pause).
          throw new WatchCompactedError(this.store.name, this.nextRevision, changes[0]?.revision ?? this.store.currentRevision() + 1);
        }
        for (const { revision, change } of changes) {
          if (this.closed) return;
          this.nextRevision = revision + 1;
          if (this.matches(change.k)) await this.listener.onChange(this.toChange(revision, change));
        }
      }
    } catch (error) {
      if (this.closed) return;
      await this.close();
      this.listener.onError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.onClosed();
  }
}
