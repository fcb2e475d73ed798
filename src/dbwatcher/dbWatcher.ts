import type { Logger } from 'pino';
import { DEFAULT_CONTROLLER_CONFIG } from '../api/config';
import type { EventLoop } from '../api/event';
import { DBResync, ExternalConfigChange, KubeStateChange } from '../api/events';
import { DB_EXTERNAL_SOURCE } from '../api/externalConfig';
import { ControllerClosedError, toError } from '../api/errors';
import type { ProtoMessage } from '../api/types';
import { BadKeys, type BadKeysStatus } from './badKeys';
import { ConnectionProbe } from './connectionProbe';
import { WatchCompactedError } from './errors';
import { KSR_PREFIX } from './keys';
import type { LocalMirror, MirrorWrite } from './localMirror';
import { MirrorUpdater, type MirrorStatus } from './mirrorUpdater';
import type { ResourceRegistry } from './registry';
import { badEntries, decodeSnapshot } from './resyncSnapshot';
import { SerialQueue } from './serialQueue';
import type { KeyValueStore, StoreChange, StoreWatch } from './store';
import { StoreKeyDecoder } from './storeKeyDecoder';
import { WatchedKeys } from './watchedKeys';

export interface DbWatcherOptions {
  /** Where the events go (the controller). */
  eventLoop: EventLoop;
  /** The source of truth: etcd, or the embedded store in standalone mode. */
  store: KeyValueStore;
  /** The local copy of the kube state, with a remote store; none in standalone mode. */
  localMirror?: LocalMirror;
  registry: ResourceRegistry;
  /** The agent's label: external config is read under `/vnf-agent/<agentLabel>/`. */
  agentLabel: string;
  logger: Logger;
  /** Wait for the remote DB before the local-DB fallback resync. Default 5000 ms. */
  delayLocalResync?: number;
  /** Remote DB probe period. Default 3000 ms. */
  remoteDBProbingInterval?: number;
  /** Deadline of one probe. Default: the probing interval, at most 2000 ms. */
  probeTimeoutMs?: number;
  /** Delay before a failed remote resync is tried again. Default: the probing interval. */
  resyncRetryDelayMs?: number;
  /** First delay before a failed local mirror write is repaired (doubling up to 30 s). Default 1000 ms. */
  mirrorRetryMs?: number;
}

/** Where the last DBResync came from. */
export type ResyncSource = 'remote' | 'local';

/** What the agent's metrics and `/controller/state` show of the watcher. */
export interface DbWatcherStatus {
  readonly connected: boolean;
  readonly lastResync?: ResyncSource;
  readonly badKeys: BadKeysStatus;
  readonly localMirror?: MirrorStatus;
}

/**
 * The DB watcher: turns the store into controller events. One DBResync at start and after
 * every (re)connection, then a KubeStateChange or ExternalConfigChange per change; while the
 * remote DB cannot be reached at start, one DBResync from the local mirror.
 *
 * ```ts
 * const watcher = new DbWatcher({ eventLoop: controller, store, localMirror, registry, agentLabel: 'vpp1', logger });
 * watcher.start();
 * // ... POST /controller/resync: watcher.requestResync();
 * await watcher.close();
 * ```
 */
export class DbWatcher {
  private readonly decoder: StoreKeyDecoder;
  private readonly probe: ConnectionProbe;
  private readonly badKeys = new BadKeys();
  private readonly mirror: MirrorUpdater | undefined;
  /** Resyncs, changes and the local fallback run one at a time, in order. */
  private readonly queue = new SerialQueue();
  private readonly delayLocalResync: number;
  private readonly retryDelayMs: number;
  private watch: StoreWatch | undefined;
  private watchedKeys = new WatchedKeys();
  /** Bumped whenever the current watch stops counting: changes of older watches are dropped. */
  private epoch = 0;
  /** False from start and from every loss or failed push until the next remote resync. */
  private passChanges = false;
  private resyncWanted = false;
  private resyncQueued = false;
  private localFallbackTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private lastResync: ResyncSource | undefined;
  /** Watch changes not taken yet: they are taken together, so that their mirror writes share one disk sync. */
  private pendingChanges: { epoch: number; change: StoreChange }[] = [];
  /** Settles when the pending changes are handled. */
  private changesHandled: Promise<void> = Promise.resolve();

  constructor(private readonly options: DbWatcherOptions) {
    this.decoder = new StoreKeyDecoder(options.registry, options.agentLabel);
    this.delayLocalResync = options.delayLocalResync ?? DEFAULT_CONTROLLER_CONFIG.delayLocalResync;
    const interval = options.remoteDBProbingInterval ?? DEFAULT_CONTROLLER_CONFIG.remoteDBProbingInterval;
    this.retryDelayMs = options.resyncRetryDelayMs ?? interval;
    this.probe = new ConnectionProbe({
      store: options.store,
      intervalMs: interval,
      timeoutMs: options.probeTimeoutMs ?? Math.min(interval, 2000),
      logger: options.logger,
      onUp: () => {
        options.logger.info({ store: options.store.name }, 'DB connected: resyncing');
        this.requestResync();
      },
      onDown: (err) => {
        options.logger.warn({ err, store: options.store.name }, 'DB connection lost: watch stopped until it is back');
        this.stopPassingChanges();
      },
    });
    this.mirror =
      options.localMirror &&
      new MirrorUpdater({
        mirror: options.localMirror,
        logger: options.logger,
        minRetryMs: options.mirrorRetryMs,
        repair: () => this.queue.run(() => this.repairMirror()),
      });
  }

  /** Bad keys, the local mirror's health and the connection, for metrics and `/controller/state`. */
  status(badKeysListed = 100): DbWatcherStatus {
    return {
      connected: this.probe.isUp,
      ...(this.lastResync !== undefined && { lastResync: this.lastResync }),
      badKeys: this.badKeys.status(badKeysListed),
      ...(this.mirror && { localMirror: this.mirror.status() }),
    };
  }

  /** Where the last DBResync came from, if any was pushed. */
  get lastResyncSource(): ResyncSource | undefined {
    return this.lastResync;
  }

  /** Whether the store answered its last probe. */
  get connected(): boolean {
    return this.probe.isUp;
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.options.localMirror) {
      this.localFallbackTimer = setTimeout(() => void this.queue.run(() => this.localResync()), this.delayLocalResync);
    }
    this.probe.start();
  }

  /** Asks for a resync from the store; done as soon as the store is reachable. Coalesced. */
  requestResync(): void {
    if (this.closed) return;
    this.resyncWanted = true;
    if (!this.probe.isUp || this.resyncQueued) return;
    this.resyncQueued = true;
    void this.queue.run(async () => {
      this.resyncQueued = false;
      if (!this.resyncWanted || !this.probe.isUp || this.closed) return;
      this.resyncWanted = false;
      await this.remoteResync();
    });
  }

  /** Stops every timer and the watch; the stores stay open (their owner closes them). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.probe.stop();
    this.mirror?.close();
    clearTimeout(this.localFallbackTimer);
    clearTimeout(this.retryTimer);
    this.epoch++;
    await this.queue.drain();
    await this.stopWatch();
  }

  private stopPassingChanges(): void {
    this.passChanges = false;
    this.epoch++;
    void this.queue.run(() => this.stopWatch());
  }

  private async stopWatch(): Promise<void> {
    const watch = this.watch;
    this.watch = undefined;
    await watch?.close();
  }

  private async remoteResync(): Promise<void> {
    const { store, logger } = this.options;
    const epoch = ++this.epoch;
    this.passChanges = false;
    await this.stopWatch();
    try {
      const snapshot = await store.list(this.decoder.prefixes());
      const decoded = decodeSnapshot(snapshot, this.decoder, this.watchedKeys, this.badKeys, logger);
      // The mirror is a cache for starting without the remote DB: a failed write is repaired later.
      await this.mirror?.rewrite(snapshot.entries, decoded.badKeys);
      // Watching from the snapshot's revision + 1 continues it exactly: nothing missed, nothing twice.
      this.watch = await store.watch(this.decoder.prefixes(), snapshot.revision + 1, {
        onChange: (change) => this.changeArrived(epoch, change),
        onError: (err) => this.onWatchError(epoch, err),
      });
      if (this.closed || epoch !== this.epoch) {
        // Lost or closed meanwhile: this snapshot may already be stale.
        await this.stopWatch();
        return;
      }
      this.options.eventLoop.pushEvent(
        new DBResync({ local: false, kubeState: decoded.kubeState, externalConfig: decoded.externalConfig }),
      );
      this.watchedKeys = decoded.watchedKeys;
      this.passChanges = true;
      this.lastResync = 'remote';
      clearTimeout(this.localFallbackTimer);
      logger.info({ revision: snapshot.revision, keys: snapshot.entries.length }, 'resynced from the DB');
    } catch (err) {
      await this.stopWatch();
      if (this.closed) return;
      if (err instanceof ControllerClosedError) {
        logger.info('controller closed: no more resyncs');
        return;
      }
      logger.warn({ err, retryInMs: this.retryDelayMs }, 'DB resync failed: retrying');
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.requestResync(), this.retryDelayMs);
    }
  }

  private onWatchError(epoch: number, err: Error): void {
    if (epoch !== this.epoch || this.closed) return;
    if (err instanceof WatchCompactedError) {
      // The store is there but no longer has the changes the watch lags behind: a fresh snapshot.
      this.options.logger.warn({ err }, 'the watch fell behind a compaction: resyncing from a new snapshot');
      this.stopPassingChanges();
      this.requestResync();
      return;
    }
    // A broken watch means changes may be missing: treat it as a loss; the next good probe resyncs.
    this.probe.markDown(err);
  }

  /** Rewrites the mirror from the remote DB's kube state after failed mirror writes. */
  private async repairMirror(): Promise<void> {
    if (this.closed || !this.mirror) return;
    const snapshot = await this.options.store.list([KSR_PREFIX]);
    await this.mirror.rewrite(snapshot.entries, badEntries(snapshot.entries, this.decoder, this.watchedKeys));
  }

  private async localResync(): Promise<void> {
    const { localMirror, logger } = this.options;
    if (!localMirror || this.closed || this.lastResync !== undefined) return;
    try {
      const kubeState = await localMirror.load();
      if (kubeState.size === 0) {
        logger.info('remote DB unreachable and the local DB is empty: no local resync');
        return;
      }
      this.options.eventLoop.pushEvent(new DBResync({ local: true, kubeState }));
      // What the handlers now have: the last good values a later remote resync keeps for bad keys.
      const seen = WatchedKeys.fromKubeState(KSR_PREFIX, kubeState);
      this.watchedKeys = seen;
      this.lastResync = 'local';
      logger.info({ resources: kubeState.size }, 'remote DB unreachable: resynced from the local DB');
    } catch (err) {
      logger.error({ err }, 'local DB resync failed');
    }
  }

  /**
   * Queues a watch change; one task takes every change that arrived before it runs. It is queued
   * after the current turn of the event loop, so that the changes of every watch response read in
   * this turn go into one batch. The promise settles when the change is handled.
   */
  private changeArrived(epoch: number, change: StoreChange): Promise<void> {
    this.pendingChanges.push({ epoch, change });
    if (this.pendingChanges.length === 1) {
      this.changesHandled = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.queue.run(() => this.applyChanges()));
    }
    return this.changesHandled;
  }

  /**
   * Applies the changes that arrived, in order: the mirror first (one transaction for all of
   * them: a disk sync per change would cap the watcher at a few thousand changes per second),
   * then one event per change for the handlers. What the handlers are given is always in the
   * mirror, as with one change at a time.
   */
  private async applyChanges(): Promise<void> {
    const changes = this.pendingChanges;
    this.pendingChanges = [];
    const writes: MirrorWrite[] = [];
    const events: { epoch: number; key: string; event: KubeStateChange | ExternalConfigChange }[] = [];
    for (const { epoch, change } of changes) {
      const event = this.prepareChange(epoch, change, writes);
      if (event) events.push({ epoch, key: change.key, event });
    }
    await this.mirror?.apply(writes);
    for (const { epoch, key, event } of events) {
      // The watch stopped counting while the mirror was written: the next resync has the change.
      if (epoch !== this.epoch || this.closed) return;
      this.passOn(key, event);
    }
  }

  /** Decodes a change and records it; returns its event for the handlers, if it has one, and adds its mirror write. */
  private prepareChange(epoch: number, change: StoreChange, writes: MirrorWrite[]): KubeStateChange | ExternalConfigChange | undefined {
    if (epoch !== this.epoch || !this.passChanges || this.closed) return undefined;
    const { logger } = this.options;
    const target = this.decoder.classify(change.key);
    if (target.kind === 'ignored' || this.watchedKeys.isStale(change.key, change.revision)) return undefined;
    const prevValue = this.watchedKeys.lastValue(change.key);
    let newValue: ProtoMessage | undefined;
    if (change.type === 'put') {
      try {
        newValue = this.decoder.decode(change.key, target, change.value);
      } catch (err) {
        // The rule of the resync too: the handlers keep the last good value; the key is reported.
        this.watchedKeys.recordSkipped(change.key, change.revision);
        this.badKeys.report(change.key, change.revision, err, prevValue !== undefined);
        logger.warn({ err, key: change.key, revision: change.revision, keptLastGood: prevValue !== undefined }, 'bad value: reported, last good value kept if any');
        return undefined;
      }
    }
    this.badKeys.clear(change.key);
    if (change.type === 'delete' && prevValue === undefined) {
      this.watchedKeys.record(change.key, change.revision, undefined);
      // The handlers never saw the key (unknown, or never decodable): nothing to delete for them.
      if (target.kind === 'kube') writes.push({ key: change.key });
      return undefined;
    }
    this.watchedKeys.record(change.key, change.revision, newValue);
    if (target.kind === 'kube') {
      writes.push(change.type === 'put' ? { key: change.key, value: change.value } : { key: change.key });
      return new KubeStateChange({ key: target.key, resource: target.resource, prevValue, newValue });
    }
    const event = new ExternalConfigChange(DB_EXTERNAL_SOURCE);
    event.updatedKVs.set(target.key, newValue ?? null);
    return event;
  }

  private passOn(key: string, event: KubeStateChange | ExternalConfigChange): void {
    const { logger } = this.options;
    try {
      this.options.eventLoop.pushEvent(event);
    } catch (err) {
      this.passChanges = false;
      this.epoch++;
      if (err instanceof ControllerClosedError) {
        logger.info('controller closed: changes are no longer passed on');
        return;
      }
      // The change cannot be queued: a resync brings the handlers up to date, nothing is lost.
      logger.warn({ err: toError(err), key }, 'change not queued: requesting a resync');
      this.requestResync();
    }
  }
}
