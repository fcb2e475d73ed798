import { Etcd3, type IKeyValue, type IOptions, type IWatchResponse, type Watcher } from 'etcd3';
import { noop } from 'cockatiel';
import { StoreUnavailableError } from './errors';
import { SerialQueue } from './serialQueue';
import type { KeyValueStore, StoreChange, StoredEntry, StoreSnapshot, StoreWatch, WatchListener } from './store';

export interface EtcdStoreOptions {
  /** Client endpoints, e.g. ["127.0.0.1:2379"] or ["http://10.0.0.1:2379"]. */
  endpoints: readonly string[];
  /** Deadline of each unary call (get, list, put, delete). Default 5000 ms. */
  callTimeoutMs?: number;
  /** How long `watch()` waits for etcd to accept the watch. Default 5000 ms. */
  watchCreateTimeoutMs?: number;
  /** Upper bound of gRPC's reconnect backoff, so a restarted etcd is seen soon. Default 1000 ms. */
  maxReconnectBackoffMs?: number;
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

/** Rejects after `ms` unless `promise` settles first; the timer never keeps the process alive. */
function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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
  private readonly watches = new Set<EtcdWatch>();

  constructor(options: EtcdStoreOptions) {
    if (options.endpoints.length === 0) throw new RangeError('EtcdStore needs at least one endpoint');
    this.name = `etcd(${options.endpoints.join(',')})`;
    this.callTimeoutMs = options.callTimeoutMs ?? 5000;
    this.watchCreateTimeoutMs = options.watchCreateTimeoutMs ?? 5000;
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

  async list(prefixes: readonly string[]): Promise<StoreSnapshot> {
    let revision: string | undefined;
    const entries: StoredEntry[] = [];
    for (const prefix of prefixes) {
      // The first range fixes the revision; the others read at that revision, so the
      // snapshot is consistent and a watch from revision + 1 continues it exactly.
      const builder = this.client.getAll().prefix(prefix);
      if (revision !== undefined) builder.revision(revision);
      const response = await this.call(`list ${prefix}`, () => builder.exec());
      revision ??= response.header.revision;
      entries.push(...response.kvs.map(entryOf));
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

  async probe(timeoutMs: number): Promise<void> {
    await this.call('probe', () =>
      this.client.get(PROBE_KEY).options({ deadline: Date.now() + timeoutMs }).exec(),
    );
  }

  async watch(prefixes: readonly string[], fromRevision: number, listener: WatchListener): Promise<StoreWatch> {
    const watch = new EtcdWatch(this.name, listener, () => this.watches.delete(watch));
    this.watches.add(watch);
    try {
      for (const prefix of prefixes) {
        const watcher = this.client.watch().prefix(prefix).startRevision(String(fromRevision)).watcher();
        watch.attach(watcher);
        // etcd3's create() waits forever while etcd is down (it only races "connected" and "error").
        await withTimeout(
          new Promise<void>((resolve, reject) => {
            watcher.once('connected', () => resolve());
            watcher.once('error', reject);
            watcher.once('disconnected', reject);
          }),
          this.watchCreateTimeoutMs,
          () => new Error(`watch of ${prefix} not accepted within ${this.watchCreateTimeoutMs} ms`),
        );
      }
    } catch (cause) {
      await watch.close();
      throw new StoreUnavailableError(this.name, 'watch', cause);
    }
    watch.arm();
    return watch;
  }

  async close(): Promise<void> {
    await Promise.all([...this.watches].map((w) => w.close()));
    this.client.close();
  }
}

/** One watch over several prefixes; changes reach the listener one at a time. */
class EtcdWatch implements StoreWatch {
  private readonly watchers: Watcher[] = [];
  private readonly queue = new SerialQueue();
  private closed = false;
  private failed = false;

  constructor(
    private readonly storeName: string,
    private readonly listener: WatchListener,
    private readonly onClosed: () => void,
  ) {}

  attach(watcher: Watcher): void {
    this.watchers.push(watcher);
    watcher.on('data', (response: IWatchResponse) => this.deliver(response));
  }

  /** From now on a lost stream is reported instead of failing `watch()`. */
  arm(): void {
    for (const watcher of this.watchers) {
      watcher.on('disconnected', (cause: Error) => this.fail(new StoreUnavailableError(this.storeName, 'watch stream', cause)));
      watcher.on('error', (cause: Error) => this.fail(new StoreUnavailableError(this.storeName, 'watch', cause)));
    }
  }

  private deliver(response: IWatchResponse): void {
    if (this.closed || this.failed) return;
    for (const event of response.events) {
      const key = event.kv.key.toString('utf8');
      const revision = Number(event.kv.mod_revision);
      const change: StoreChange =
        event.type === 'Put' ? { type: 'put', key, value: event.kv.value, revision } : { type: 'delete', key, revision };
      void this.queue.run(async () => {
        if (!this.closed && !this.failed) await this.listener.onChange(change);
      });
    }
  }

  private fail(error: Error): void {
    if (this.closed || this.failed) return;
    this.failed = true;
    // After the changes already received, so that the listener sees them before the loss.
    void this.queue.run(() => this.listener.onError(error));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    // While etcd is down, cancel() waits for a reconnection that may never come; etcd3 drops
    // the watcher from its manager at once when the stream is not connected, so a bounded
    // wait is enough and nothing keeps retrying after the client is closed.
    await Promise.all(
      this.watchers.map((w) => {
        w.removeAllListeners();
        return withTimeout(w.cancel(), 1000, () => new Error('cancel timed out')).catch(() => undefined);
      }),
    );
  }
}
