import { StoreUnavailableError } from '../../src/dbwatcher/errors';
import type { KeyValueStore, StoreChange, StoredEntry, StoreSnapshot, StoreWatch, WatchListener } from '../../src/dbwatcher/store';

/**
 * An in-memory store whose watch the test drives by hand, to replay changes etcd would only
 * send in rare races (repeated or older revisions). Used by the watcher's unit tests only;
 * the integration tests use a real etcd and a real LMDB.
 */
export class ScriptedStore implements KeyValueStore {
  readonly name = 'scripted';
  reachable = true;
  failLists = 0;
  listCalls = 0;
  private entries = new Map<string, StoredEntry>();
  private revision = 0;
  listener: WatchListener | undefined;
  watchesOpened = 0;

  async get(key: string): Promise<StoredEntry | undefined> {
    return this.entries.get(key);
  }

  async list(prefixes: readonly string[]): Promise<StoreSnapshot> {
    this.listCalls++;
    if (!this.reachable || this.failLists > 0) {
      this.failLists = Math.max(0, this.failLists - 1);
      throw new StoreUnavailableError(this.name, 'list');
    }
    const entries = [...this.entries.values()].filter((e) => prefixes.some((p) => e.key.startsWith(p)));
    return { revision: this.revision, entries };
  }

  async put(key: string, value: Buffer | string): Promise<number> {
    this.revision++;
    this.entries.set(key, { key, value: Buffer.from(value), modRevision: this.revision });
    return this.revision;
  }

  async delete(key: string): Promise<boolean> {
    this.revision++;
    return this.entries.delete(key);
  }

  async watch(_prefixes: readonly string[], _from: number, listener: WatchListener): Promise<StoreWatch> {
    this.watchesOpened++;
    this.listener = listener;
    return { close: async () => void (this.listener === listener && (this.listener = undefined)) };
  }

  /** Delivers a change to the open watch, as etcd would. */
  async emit(change: StoreChange): Promise<void> {
    if (!this.listener) throw new Error('no open watch');
    await this.listener.onChange(change);
  }

  async probe(): Promise<void> {
    if (!this.reachable) throw new StoreUnavailableError(this.name, 'probe');
  }

  async close(): Promise<void> {}
}
