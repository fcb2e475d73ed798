import { Etcd3, GRPCOutOfRangeError, GRPCResourceExhastedError, Range, type IKeyValue, type IOptions } from 'etcd3';
import { noop } from 'cockatiel';
import { StoreUnavailableError, WatchCompactedError } from './errors';
import { EtcdWatch } from './etcdWatch';
import type { KeyValueStore, StoredEntry, StoreSnapshot, StoreWatch, WatchListener } from './store';

export interface EtcdStoreOptions {
  /** Client endpoints, e.g. ["127.0.0.1:2379"] or ["http://10.0.0.1:2379"]. */
  endpoints: readonly string[];
  /** Deadline of each unary call (get, list, put, delete). Default 5000 ms. */
  callTimeoutMs?: number;
  /** How long `watch()` waits for etcd to accept the watch. Default 5000 ms. */
  watchCreateTimeoutMs?: number;
  /** Upper bound of gRPC's reconnect backoff, so a restarted etcd is seen soon. Default 1000 ms. */
  maxReconnectBackoffMs?: number;
  /**
   * Keys per range request of `list()` (etcd's `limit`). A page etcd cannot send within gRPC's
   * 4 MiB message limit is asked again in halves. Default 1000.
   */
  listPageSize?: number;
  /** TLS to etcd: the CA of its certificate, and a client certificate if etcd requires one (PEM). */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
}

const PROBE_KEY = '/vnf-agent/contiv-ksr/.probe';

function withScheme(endpoint: string, tls: boolean): string {
  return /^https?:\/\//.test(endpoint) ? endpoint : `${tls ? 'https' : 'http'}://${endpoint}`;
}

function entryOf(kv: IKeyValue): StoredEntry {
  return { key: kv.key.toString('utf8'), value: kv.value, modRevision: Number(kv.mod_revision) };
}

/**
 * The remote DB: etcd through the etcd3 client. etcd3's own fault handling (retries, circuit
 * breaker, watch reconnection) is turned off: the DB watcher probes the connection itself and
 * resyncs after a loss, which is the behaviour of the original, and a circuit breaker would
 * hide a restarted etcd for seconds.
 */
export class EtcdStore implements KeyValueStore {
  readonly name: string;
  private readonly client: Etcd3;
  private readonly callTimeoutMs: number;
  private readonly watchCreateTimeoutMs: number;
  private readonly pageSize: number;
  private readonly watches = new Set<EtcdWatch>();

  constructor(options: EtcdStoreOptions) {
    if (options.endpoints.length === 0) throw new RangeError('EtcdStore needs at least one endpoint');
    this.name = `etcd(${options.endpoints.join(',')})`;
    this.callTimeoutMs = options.callTimeoutMs ?? 5000;
    this.watchCreateTimeoutMs = options.watchCreateTimeoutMs ?? 5000;
    this.pageSize = options.listPageSize ?? 1000;
    if (!Number.isSafeInteger(this.pageSize) || this.pageSize < 1) throw new RangeError(`listPageSize must be a positive integer, not ${options.listPageSize}`);
    const maxBackoff = options.maxReconnectBackoffMs ?? 1000;
    const clientOptions: IOptions = {
      hosts: options.endpoints.map((endpoint) => withScheme(endpoint, options.tls !== undefined)),
      ...(options.tls && { credentials: { rootCertificate: options.tls.ca, certChain: options.tls.cert, privateKey: options.tls.key } }),
      dialTimeout: this.callTimeoutMs,
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + this.callTimeoutMs }),
      faultHandling: { host: () => noop, global: noop },
      grpcOptions: {
        'grpc.initial_reconnect_backoff_ms': Math.min(100, maxBackoff),
        'grpc.max_reconnect_backoff_ms': maxBackoff,
      },
    };
    this.client = new Etcd3(clientOptions);
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (cause) {
      throw new StoreUnavailableError(this.name, operation, cause);
    }
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    const response = await this.call(`get ${key}`, () => this.client.get(key).exec());
    const kv = response.kvs[0];
    return kv ? entryOf(kv) : undefined;
  }

  /**
   * Every key under the prefixes, in pages of at most `listPageSize` keys, all read at the
   * revision of the first page: the snapshot is consistent and a watch from revision + 1
   * continues it exactly. When that revision is compacted away meanwhile, the read starts over.
   */
  async list(prefixes: readonly string[]): Promise<StoreSnapshot> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.listAtOneRevision(prefixes);
      } catch (error) {
        if (!(error instanceof WatchCompactedError) || attempt >= 5) throw error;
      }
    }
  }

  private async listAtOneRevision(prefixes: readonly string[]): Promise<StoreSnapshot> {
    let revision: string | undefined;
    const entries: StoredEntry[] = [];
    let limit = this.pageSize;
    for (const prefix of prefixes) {
      const range = Range.prefix(prefix);
      let start = range.start;
      for (;;) {
        let response;
        try {
          response = await this.client.kv.range({ key: start, range_end: range.end, limit, ...(revision !== undefined && { revision }) });
        } catch (cause) {
          if (cause instanceof GRPCResourceExhastedError && limit > 1) {
            limit = Math.max(1, Math.floor(limit / 2));
            continue;
          }
          if (cause instanceof GRPCOutOfRangeError && revision !== undefined) {
            throw new WatchCompactedError(this.name, Number(revision), Number(revision) + 1);
          }
          throw new StoreUnavailableError(this.name, `list ${prefix}`, cause);
        }
        revision ??= response.header.revision;
        for (const kv of response.kvs) entries.push(entryOf(kv));
        const last = response.kvs[response.kvs.length - 1];
        if (!response.more || !last) break;
        // The next page starts right after the last key of this one.
        start = Buffer.concat([last.key, Buffer.from([0])]);
      }
    }
    if (revision === undefined) {
      const response = await this.call('read revision', () => this.client.get(PROBE_KEY).exec());
      revision = response.header.revision;
    }
    return { revision: Number(revision), entries };
  }

  async put(key: string, value: Buffer | string): Promise<number> {
    const response = await this.call(`put ${key}`, () => this.client.put(key).value(value).exec());
    return Number(response.header.revision);
  }

  async delete(key: string): Promise<boolean> {
    const response = await this.call(`delete ${key}`, () => this.client.delete().key(key).exec());
    return Number(response.deleted) > 0;
  }

  /** Compacts etcd's history up to `revision` (what an operator's or etcd's auto-compaction does). */
  async compact(revision: number): Promise<void> {
    await this.call(`compact ${revision}`, () => this.client.kv.compact({ revision: String(revision), physical: true }));
  }

  async probe(timeoutMs: number): Promise<void> {
    await this.call('probe', () =>
      this.client.get(PROBE_KEY).options({ deadline: Date.now() + timeoutMs }).exec(),
    );
  }

  async watch(prefixes: readonly string[], fromRevision: number, listener: WatchListener): Promise<StoreWatch> {
    const watch = new EtcdWatch(this.name, fromRevision, listener, () => this.watches.delete(watch));
    this.watches.add(watch);
    try {
      await watch.open(this.client.watchClient, prefixes, this.watchCreateTimeoutMs);
    } catch (cause) {
      await watch.close();
      if (cause instanceof WatchCompactedError || cause instanceof StoreUnavailableError) throw cause;
      throw new StoreUnavailableError(this.name, 'watch', cause);
    }
    return watch;
  }

  async close(): Promise<void> {
    await Promise.all([...this.watches].map((w) => w.close()));
    this.client.close();
  }
}
