import type { Logger } from 'pino';
import type { KeyState, ValueStatus } from '../../southbound/grpc/model';
import type { ValueStatusWatch } from '../../southbound/grpc/valueStatusWatch';
import type { ValueCounts, ValueEntry, ValuesSnapshot } from './protocol';
import { grpcMessage } from '../../grpcMessage';

/** What the dashboard needs of the southbound client (GrpcSouthbound has it). */
export interface SouthboundStateSource {
  dumpState(keyPrefix?: string): Promise<KeyState[]>;
  watchValueStatus(keyPrefixes: string[], onStatus: (status: ValueStatus) => void): Promise<ValueStatusWatch>;
  /** The southbound instance last seen. */
  readonly instanceId?: string;
}

export interface SouthboundWatchStatus {
  watch: 'watching' | 'connecting' | 'unreachable';
  error?: string;
  instanceId?: string;
}

export interface ValueStatesListener {
  /** One value changed (`removed`: it is gone from the southbound). */
  changed(entry: ValueEntry, removed: boolean): void;
  /** Every value was loaded again (after a (re)connection). */
  reloaded(): void;
  status(status: SouthboundWatchStatus): void;
}

export interface ValueStatesOptions {
  source: SouthboundStateSource;
  logger: Logger;
  /** Values tracked at most; beyond, counts and list cover the first ones by key (default 50,000). */
  maxKeys?: number;
  /** First and longest delay between attempts to (re)open the watch (default 500 ms, 10 s). */
  minRetryMs?: number;
  maxRetryMs?: number;
}

/** A dump carries no sequence numbers: changes seen during it make it stale, so it is taken again. */
const MAX_DUMP_ATTEMPTS = 3;

const GONE_STATES = new Set(['NONEXISTENT', 'REMOVED']);

function entryOf(status: { key: string; state: string; error?: string; lastOperation?: string }): ValueEntry {
  return {
    key: status.key,
    state: status.state,
    ...(status.error !== undefined && status.error !== '' && { error: status.error }),
    ...(status.lastOperation !== undefined && { lastOperation: status.lastOperation }),
  };
}

/**
 * The southbound's value states, kept current for the dashboard: one WatchValueStatus stream and
 * a DumpState at every (re)connection, shared by every open page. Reopened with a doubling delay
 * when the southbound goes away (a restart gives a new instance and a fresh dump).
 */
export class SouthboundValueStates {
  private readonly entries = new Map<string, ValueEntry>();
  private readonly byState = new Map<string, number>();
  private readonly listeners = new Set<ValueStatesListener>();
  private readonly maxKeys: number;
  private truncated = false;
  private loaded = false;
  private current: SouthboundWatchStatus = { watch: 'connecting' };
  private watch: ValueStatusWatch | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: ValueStatesOptions) {
    this.maxKeys = options.maxKeys ?? 50_000;
  }

  start(): void {
    this.running ??= this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watch?.close();
    this.wake?.();
    await this.running;
  }

  subscribe(listener: ValueStatesListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): SouthboundWatchStatus {
    return { ...this.current, ...(this.options.source.instanceId !== undefined && { instanceId: this.options.source.instanceId }) };
  }

  counts(): ValueCounts {
    return { byState: Object.fromEntries(this.byState), total: this.entries.size, truncated: this.truncated };
  }

  /** The first `max` values by key, with the counts. */
  snapshot(max: number): ValuesSnapshot {
    const keys = [...this.entries.keys()].sort();
    return { entries: keys.slice(0, max).map((key) => this.entries.get(key) as ValueEntry), counts: this.counts(), loading: !this.loaded };
  }

  private async run(): Promise<void> {
    const minRetry = this.options.minRetryMs ?? 500;
    const maxRetry = this.options.maxRetryMs ?? 10_000;
    let delay = minRetry;
    while (!this.closed) {
      try {
        const watch = await this.openAndLoad();
        // Closed while the watch was opening: close() could not reach it.
        if (this.closed) {
          watch.close();
          return;
        }
        delay = minRetry;
        this.setStatus({ watch: 'watching' });
        await watch.ended;
        if (this.closed) return;
        this.options.logger.warn('dashboard: the southbound value-state watch ended; reopening it');
        this.setStatus({ watch: 'connecting' });
      } catch (error) {
        if (this.closed) return;
        const message = grpcMessage(error);
        if (this.current.watch !== 'unreachable') this.options.logger.warn({ err: error }, 'dashboard: cannot watch the southbound value states; retrying');
        this.setStatus({ watch: 'unreachable', error: message });
      }
      await this.sleep(delay);
      delay = Math.min(delay * 2, maxRetry);
    }
  }

  private async openAndLoad(): Promise<ValueStatusWatch> {
    // Cleared when loading fails: the stream may still deliver a message or two before it closes.
    let active = true;
    let changedDuringDump = false;
    let buffered = new Map<string, ValueStatus>();
    let applying = false;
    const watch = await this.options.source.watchValueStatus([], (status) => {
      if (!active || this.closed) return;
      if (applying) this.apply(status);
      else {
        changedDuringDump = true;
        buffered.set(status.key, status);
      }
    });
    this.watch = watch;
    try {
      let states: KeyState[] = [];
      for (let attempt = 1; attempt <= MAX_DUMP_ATTEMPTS; attempt++) {
        changedDuringDump = false;
        buffered = new Map();
        states = await this.options.source.dumpState();
        if (!changedDuringDump) break;
      }
      this.replaceAll(states);
      // Changes that kept coming during the last dump: applied after it (at worst briefly stale).
      for (const status of buffered.values()) this.apply(status);
      applying = true;
      return watch;
    } catch (error) {
      active = false;
      watch.close();
      throw error;
    }
  }

  private replaceAll(states: readonly KeyState[]): void {
    this.entries.clear();
    this.byState.clear();
    this.truncated = false;
    for (const state of states) {
      if (GONE_STATES.has(state.state)) continue;
      if (this.entries.size >= this.maxKeys) {
        this.truncated = true;
        break;
      }
      this.put(entryOf(state));
    }
    this.loaded = true;
    for (const listener of this.listeners) listener.reloaded();
  }

  private apply(status: ValueStatus): void {
    const entry = entryOf(status);
    const removed = GONE_STATES.has(status.state);
    if (removed) {
      if (!this.remove(status.key)) return;
    } else if (this.entries.has(status.key) || this.entries.size < this.maxKeys) {
      this.remove(status.key);
      this.put(entry);
    } else {
      this.truncated = true;
      return;
    }
    for (const listener of this.listeners) listener.changed(entry, removed);
  }

  private put(entry: ValueEntry): void {
    this.entries.set(entry.key, entry);
    this.byState.set(entry.state, (this.byState.get(entry.state) ?? 0) + 1);
  }

  private remove(key: string): boolean {
    const old = this.entries.get(key);
    if (!old) return false;
    this.entries.delete(key);
    const count = (this.byState.get(old.state) ?? 1) - 1;
    if (count === 0) this.byState.delete(old.state);
    else this.byState.set(old.state, count);
    return true;
  }

  private setStatus(status: SouthboundWatchStatus): void {
    this.current = status;
    const shown = this.status();
    for (const listener of this.listeners) listener.status(shown);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
