import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { StoreDamagedError, StoreUnavailableError, WatchCompactedError } from './errors';
import { lmdbHeaderProblem, lmdbReadProblem } from './lmdbIntegrity';
import type { KeyValueStore, StoredEntry, StoreSnapshot, StoreWatch, WatchListener } from './store';
import { LmdbWatch } from './lmdbWatch';
import { LMDB_DATABASES, LMDB_MAX_DBS, LmdbWriter, REVISION_KEY, prefixEnd, type StoreWrite } from './lmdbWriter';

export interface LmdbStoreOptions {
  /** Directory of the database files; created when missing. */
  dataDir: string;
  /** How often watches look for writes of other processes. Default 200 ms. */
  pollIntervalMs?: number;
  /** Changes kept for watches to catch up with; an older start revision must resync. Default 10000. */
  changeLogRetention?: number;
  /**
   * Before opening an existing file: 'header' checks its header and size (microseconds),
   * 'full' also reads all of it in a child process (see lmdbIntegrity.ts). A damaged file
   * throws `StoreDamagedError` instead of crashing the process. Default 'header'.
   */
  integrityCheck?: 'header' | 'full';
}

/** The file of the store in its data directory. */
export const LMDB_FILE = 'kv.mdb';

/** A stored key: its bytes and the revision of its last write. */
interface KvRecord {
  v: Buffer;
  r: number;
}

/** One change of the change log, keyed by its revision; no `v` = a delete. */
export interface ChangeRecord {
  k: string;
  v?: Buffer;
}

/** A key as error messages show it: a key LMDB refuses for its size must not make a line of kilobytes. */
function shown(key: string): string {
  return key.length > 200 ? `${key.slice(0, 200)}… (${key.length} characters)` : key;
}

/**
 * The embedded store: LMDB files in a data directory. It keeps etcd's model so that the
 * watcher treats both stores alike: a store-wide revision bumped by each write and a change
 * log of the last `changeLogRetention` writes that watches read from. The log lives in the
 * database, so a watch also sees writes of other processes (e.g. the writer command line).
 * Reads run on the caller's thread; writes in a thread of their own (LmdbWriter).
 */
export class LmdbStore implements KeyValueStore {
  readonly name: string;
  private readonly root: RootDatabase;
  private readonly kv: Database<KvRecord, string>;
  private readonly log: Database<ChangeRecord, number>;
  private readonly meta: Database<number, string>;
  private readonly writer: LmdbWriter;
  private readonly pollIntervalMs: number;
  private readonly watches = new Set<LmdbWatch>();
  private closed = false;

  constructor(options: LmdbStoreOptions) {
    this.name = `lmdb(${options.dataDir})`;
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    const path = join(options.dataDir, LMDB_FILE);
    const problem = lmdbHeaderProblem(path) ?? (options.integrityCheck === 'full' ? lmdbReadProblem(path, LMDB_DATABASES) : undefined);
    if (problem !== undefined) throw new StoreDamagedError(path, problem);
    try {
      mkdirSync(options.dataDir, { recursive: true });
      this.root = open({ path, maxDbs: LMDB_MAX_DBS });
      this.kv = this.root.openDB<KvRecord, string>({ name: 'kv' });
      this.log = this.root.openDB<ChangeRecord, number>({ name: 'log' });
      this.meta = this.root.openDB<number, string>({ name: 'meta' });
    } catch (cause) {
      throw new StoreUnavailableError(this.name, 'open', cause);
    }
    this.writer = new LmdbWriter(path, options.changeLogRetention ?? 10000);
  }

  private check(operation: string): void {
    if (this.closed) throw new StoreUnavailableError(this.name, `${operation} (store is closed)`);
  }

  /** The revision of the last write (0 for an empty store). */
  currentRevision(): number {
    return this.meta.get(REVISION_KEY) ?? 0;
  }

  /** The oldest revision still in the change log, or undefined when the log is empty. */
  oldestLoggedRevision(): number | undefined {
    for (const revision of this.log.getKeys({ limit: 1 })) return revision;
    return undefined;
  }

  /** Change records with revision >= `from`, in order (a read of this event turn's snapshot). */
  readChanges(from: number, limit: number): { revision: number; change: ChangeRecord }[] {
    return [...this.log.getRange({ start: from, limit })].map(({ key, value }) => ({ revision: key, change: value }));
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    this.check('get');
    const record = this.kv.get(key);
    // lmdb-js may hand out views of a reused buffer: copy before the value leaves the store.
    return record ? { key, value: Buffer.from(record.v), modRevision: record.r } : undefined;
  }

  async list(prefixes: readonly string[]): Promise<StoreSnapshot> {
    this.check('list');
    // Synchronous reads within one event turn share lmdb-js' read transaction: one snapshot.
    const revision = this.currentRevision();
    const entries: StoredEntry[] = [];
    for (const prefix of prefixes) {
      for (const { key, value } of this.kv.getRange({ start: prefix, end: prefixEnd(prefix) })) {
        entries.push({ key, value: Buffer.from(value.v), modRevision: value.r });
      }
    }
    return { revision, entries };
  }

  /**
   * Applies writes in one transaction, each with its own revision; returns the last revision.
   * The transaction is synchronous in the writer thread: a failed commit (a full disk) rejects
   * here with LMDB's error, and the disk sync holds no one's event loop.
   */
  private async write(operation: string, writes: readonly StoreWrite[]): Promise<number> {
    this.check(operation);
    let revision: number;
    try {
      revision = await this.writer.apply(writes);
    } catch (error) {
      throw new StoreUnavailableError(this.name, operation, error);
    }
    this.committed();
    return revision;
  }

  /** After a commit of the writer thread: reads from now on see it, and watches look at once. */
  private committed(): void {
    // lmdb-js keeps this thread's read snapshot until the end of the event-loop turn.
    this.root.resetReadTxn();
    for (const watch of this.watches) watch.poke();
  }

  /**
   * Puts (`value` given) and deletes (no `value`) in one transaction, in order: one disk sync for
   * all of them. Returns the last revision.
   */
  async apply(writes: readonly StoreWrite[]): Promise<number> {
    return this.write(`write of ${writes.length} keys`, writes);
  }

  async put(key: string, value: Buffer | string): Promise<number> {
    return this.write(`put ${shown(key)}`, [{ key, value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value }]);
  }

  async delete(key: string): Promise<boolean> {
    this.check('delete');
    if (this.kv.get(key) === undefined) return false;
    await this.write(`delete ${shown(key)}`, [{ key }]);
    return true;
  }

  /**
   * Makes the keys under `prefix` exactly `entries` (keys outside the prefix are ignored) in
   * one transaction; only real differences are written; keys in `untouched` keep whatever they
   * have. Returns the number of writes.
   */
  async replacePrefix(prefix: string, entries: ReadonlyMap<string, Buffer>, untouched: ReadonlySet<string> = new Set()): Promise<number> {
    this.check('replace');
    let writes: number;
    try {
      writes = await this.writer.replace({ prefix, entries, untouched });
    } catch (error) {
      throw new StoreUnavailableError(this.name, `replace ${shown(prefix)}`, error);
    }
    if (writes > 0) this.committed();
    return writes;
  }

  async watch(prefixes: readonly string[], fromRevision: number, listener: WatchListener): Promise<StoreWatch> {
    this.check('watch');
    const oldest = this.oldestLoggedRevision() ?? this.currentRevision() + 1;
    if (fromRevision < oldest && fromRevision <= this.currentRevision()) {
      throw new WatchCompactedError(this.name, fromRevision, oldest);
    }
    const watch = new LmdbWatch(this, prefixes, fromRevision, listener, this.pollIntervalMs, () => this.watches.delete(watch));
    this.watches.add(watch);
    watch.start();
    return watch;
  }

  async probe(): Promise<void> {
    this.check('probe');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.watches].map((w) => w.close()));
    this.closed = true;
    // The writes already sent land first.
    await this.writer.close();
    await this.root.close();
  }
}
