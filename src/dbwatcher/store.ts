/**
 * The key-value store the DB watcher reads: etcd (`EtcdStore`) or the embedded LMDB store
 * (`LmdbStore`). Revisions are store-wide and grow with every write, as in etcd: a watch from
 * revision R reports every change made at R or later, so a snapshot at revision R followed by
 * a watch from R + 1 misses nothing and repeats nothing.
 */

/** One stored key. */
export interface StoredEntry {
  readonly key: string;
  readonly value: Buffer;
  /** The revision of the entry's last modification. */
  readonly modRevision: number;
}

/** Every key under some prefixes, read at one revision. */
export interface StoreSnapshot {
  readonly revision: number;
  readonly entries: readonly StoredEntry[];
}

/** One change reported by a watch. */
export type StoreChange =
  | { readonly type: 'put'; readonly key: string; readonly value: Buffer; readonly revision: number }
  | { readonly type: 'delete'; readonly key: string; readonly revision: number };

export interface WatchListener {
  /** Changes in revision order; called again only after the returned promise settles. */
  onChange(change: StoreChange): void | Promise<void>;
  /** The watch broke (e.g. compacted, connection lost) and reports nothing more. */
  onError(error: Error): void;
}

/** A running watch. */
export interface StoreWatch {
  close(): Promise<void>;
}

export interface KeyValueStore {
  /** Names the store in logs and errors, e.g. "etcd(127.0.0.1:2379)". */
  readonly name: string;
  get(key: string): Promise<StoredEntry | undefined>;
  /** Every key under each prefix, all read at the same revision. */
  list(prefixes: readonly string[]): Promise<StoreSnapshot>;
  /** Returns the revision of the write. */
  put(key: string, value: Buffer | string): Promise<number>;
  /** Returns whether the key existed. */
  delete(key: string): Promise<boolean>;
  /** Watches every key under the prefixes, from `fromRevision` on (inclusive). */
  watch(prefixes: readonly string[], fromRevision: number, listener: WatchListener): Promise<StoreWatch>;
  /** Resolves when the store answers within `timeoutMs`, rejects with `StoreUnavailableError` otherwise. */
  probe(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}
