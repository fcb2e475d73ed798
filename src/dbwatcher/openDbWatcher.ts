import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EventLoop } from '../api/event';
import { DbWatcher } from './dbWatcher';
import { EtcdStore } from './etcdStore';
import { LmdbStore } from './lmdbStore';
import { LocalMirror } from './localMirror';
import { ResourceRegistry } from './registry';
import type { KeyValueStore } from './store';

export interface OpenDbWatcherOptions {
  eventLoop: EventLoop;
  agentLabel: string;
  logger: Logger;
  /**
   * The agent's data directory. Standalone mode: the embedded store itself (the writer's
   * `--data-dir`). With etcd: the local mirror, in `<dataDir>/local-mirror`.
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

/**
 * Builds the DB watcher of an agent: with etcd when endpoints are given (plus the local
 * mirror), else standalone on the embedded store. Not started: call `watcher.start()`.
 */
export function openDbWatcher(options: OpenDbWatcherOptions): OpenedDbWatcher {
  const registry = options.registry ?? ResourceRegistry.withBuiltins();
  const logger = options.logger.child({ component: 'dbwatcher' });
  const standalone = !options.etcdEndpoints || options.etcdEndpoints.length === 0;
  const store: KeyValueStore = standalone
    ? new LmdbStore({ dataDir: options.dataDir })
    : new EtcdStore({ endpoints: options.etcdEndpoints ?? [], tls: options.etcdTls });
  const mirrorStore = standalone ? undefined : new LmdbStore({ dataDir: join(options.dataDir, 'local-mirror') });
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
      await watcher.close();
      await store.close();
      await mirrorStore?.close();
    },
  };
}
