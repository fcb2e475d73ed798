import type { Logger } from 'pino';
import type { KeyValueStore } from './store';

export interface ConnectionProbeOptions {
  store: KeyValueStore;
  intervalMs: number;
  timeoutMs: number;
  logger: Logger;
  /** Called when the store answers after not answering (and after the first answer). */
  onUp(): void;
  /** Called when the store stops answering after answering. */
  onDown(error: Error): void;
}

/**
 * Probes the store every `intervalMs` (the original's remoteDBProbingInterval). Probes never
 * overlap: the next one is scheduled when the previous one has settled.
 */
export class ConnectionProbe {
  private timer: NodeJS.Timeout | undefined;
  private up = false;
  private stopped = true;

  constructor(private readonly options: ConnectionProbeOptions) {}

  get isUp(): boolean {
    return this.up;
  }

  /** Probes now, then periodically. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.probeOnce();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Treats the store as lost until the next successful probe (e.g. its watch broke). */
  markDown(error: Error): void {
    if (!this.up) return;
    this.up = false;
    this.options.onDown(error);
  }

  private async probeOnce(): Promise<void> {
    const { store, timeoutMs, logger } = this.options;
    try {
      await store.probe(timeoutMs);
      if (this.stopped) return;
      if (!this.up) {
        this.up = true;
        this.options.onUp();
      }
    } catch (error) {
      if (this.stopped) return;
      logger.debug({ err: error, store: store.name }, 'store probe failed');
      this.markDown(error instanceof Error ? error : new Error(String(error)));
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.probeOnce(), this.options.intervalMs);
  }
}
