import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EventLoop } from '../api/event';
import { DataDirLock } from './dataDirLock';
import { DbWatcher } from './dbWatcher';
import { StoreDamagedError, StoreUnavailableError } from './errors';
import { EtcdStore } from './etcdStore';
import { LMDB_FILE, LmdbStore } from './lmdbStore';
import { LocalMirror } from './localMirror';
import { ResourceRegistry } from './registry';
import type { KeyValueStore } from './store';

export interface OpenDbWatcherOptions {
  eventLoop: EventLoop;
  agentLabel: string;
  logger: Logger;
  /**
   * The agent's data directory, held by this agent alone (a lock file, `agent.pid`).
   * Standalone mode: the embedded store itself (the writer's `--data-dir`). With etcd: the
   * local mirror, in `<dataDir>/local-mirror`.
   */
  dataDir: string;
  /** etcd endpoints; none = standalone mode with the embedded store as the source of truth. */
  etcdEndpoints?: readonly string[];
  /** TLS to etcd (PEM contents). */
  etcdTls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  /** Default: the built-in resources. */
  registry?: ResourceRegistry;
  delayLocalResync?: number;
  remoteDBProbingInterval?: number;
}

/** A DB watcher with the stores it reads; `close()` closes them all. */
export interface OpenedDbWatcher {
  readonly watcher: DbWatcher;
  /** The source of truth (etcd, or the embedded store in standalone mode). */
  readonly store: KeyValueStore;
  readonly localMirror?: LocalMirror;
  close(): Promise<void>;
}

/** Renames a damaged LMDB file to `<file>.damaged-<timestamp>`; returns the new path. */
function moveAside(dir: string): string {
  const file = join(dir, LMDB_FILE);
  const aside = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(file, aside);
  // LMDB's lock file describes the old file's readers; a new one is made with the new file.
  rmSync(`${file}-lock`, { force: true });
  return aside;
}

/**
 * The local mirror's store. The mirror is a cache of etcd: one that cannot be opened or fails
 * its integrity check is moved aside and started anew (the first remote resync fills it); if
 * even that fails, the agent runs without a mirror.
 */
function openMirrorStore(dir: string, logger: Logger): LmdbStore | undefined {
  try {
    return new LmdbStore({ dataDir: dir, integrityCheck: 'full' });
  } catch (err) {
    if (!(err instanceof StoreDamagedError || err instanceof StoreUnavailableError)) throw err;
    try {
      const movedTo = existsSync(join(dir, LMDB_FILE)) ? moveAside(dir) : undefined;
      logger.warn({ err, movedTo }, 'local DB cannot be used: moved aside, rebuilding it from the remote DB');
      return new LmdbStore({ dataDir: dir });
    } catch (retryErr) {
      logger.error({ err: retryErr }, 'local DB cannot be created: running without one (no local resync if the remote DB is down at start)');
      return undefined;
    }
  }
}

/**
 * Builds the DB watcher of an agent: with etcd when endpoints are given (plus the local
 * mirror), else standalone on the embedded store. Not started: call `watcher.start()`.
 * Throws `DataDirLockedError` when another agent holds the data directory, and in standalone
 * mode `StoreDamagedError` when the embedded store is damaged (the agent exits with code 2:
 * starting on it would crash, or resync the southbound to an empty state).
 */
export function openDbWatcher(options: OpenDbWatcherOptions): OpenedDbWatcher {
  const registry = options.registry ?? ResourceRegistry.withBuiltins();
  const logger = options.logger.child({ component: 'dbwatcher' });
  const standalone = !options.etcdEndpoints || options.etcdEndpoints.length === 0;
  const lock = DataDirLock.acquire(options.dataDir);
  let store: KeyValueStore;
  let mirrorStore: LmdbStore | undefined;
  try {
    store = standalone
      ? new LmdbStore({ dataDir: options.dataDir, integrityCheck: 'full' })
      : new EtcdStore({ endpoints: options.etcdEndpoints ?? [], tls: options.etcdTls });
    mirrorStore = standalone ? undefined : openMirrorStore(join(options.dataDir, 'local-mirror'), logger);
  } catch (error) {
    lock.release();
    throw error;
  }
  const localMirror = mirrorStore && new LocalMirror(mirrorStore, registry, logger);
  const watcher = new DbWatcher({
    eventLoop: options.eventLoop,
    store,
    localMirror,
    registry,
    agentLabel: options.agentLabel,
    logger,
    delayLocalResync: options.delayLocalResync,
    remoteDBProbingInterval: options.remoteDBProbingInterval,
  });
  return {
    watcher,
    store,
    localMirror,
    async close() {
      try {
        await watcher.close();
        await store.close();
        await mirrorStore?.close();
      } finally {
        lock.release();
      }
    },
  };
}
