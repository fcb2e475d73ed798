import { Range, type IDuplexStream, type IWatchRequest, type IWatchResponse, type WatchClient } from 'etcd3';
import { StoreUnavailableError, WatchCompactedError } from './errors';
import { SerialQueue } from './serialQueue';
import type { StoreChange, StoreWatch, WatchListener } from './store';

/**
 * One watch over several prefixes, on a gRPC Watch stream of its own.
 *
 * It does not use etcd3's `Watcher`: etcd3 multiplexes every watcher of a client on one stream
 * and throws from inside that stream's 'data' handler (an uncaught exception, the process dies)
 * when a response names a watch it no longer lists. That happens after a compaction: etcd
 * cancels the lagging watch and etcd3 forgets it, but cancelling it from our side sends a
 * cancel request for its id, which etcd answers with a second "canceled" response
 * ("Failed to find watcher for IWatchResponse"). etcd3 also emits 'error' on watchers that
 * may no longer have a listener, and reconnects on its own timers after a close. Owning the
 * stream keeps every one of these in this class: an unknown watch id is ignored, a cancel
 * (compaction included) fails the watch once, and `close()` ends the call.
 */
export class EtcdWatch implements StoreWatch {
  private stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  private readonly watchIds = new Set<string>();
  private creating: { resolve(): void; reject(error: Error): void } | undefined;
  private readonly queue = new SerialQueue();
  private closed = false;
  private failed = false;
  /** Until `open()` resolves, a failure is its rejection, not the listener's `onError`. */
  private opened = false;
  private openError: Error | undefined;

  constructor(
    private readonly storeName: string,
    private readonly fromRevision: number,
    private readonly listener: WatchListener,
    private readonly onClosed: () => void,
  ) {}

  /** Opens the stream and creates a watch per prefix; rejects when etcd does not accept them in time. */
  async open(client: WatchClient, prefixes: readonly string[], createTimeoutMs: number): Promise<void> {
    const stream = await client.watch();
    this.stream = stream;
    // A cancelled call still emits 'error' (CANCELLED): the listener stays for the stream's lifetime.
    stream.on('error', (cause) => this.fail(new StoreUnavailableError(this.storeName, 'watch stream', cause)));
    stream.on('end', () => this.fail(new StoreUnavailableError(this.storeName, 'watch stream (ended by etcd)')));
    stream.on('data', (response) => this.receive(response));
    for (const prefix of prefixes) {
      if (this.closed || this.failed) throw this.openError ?? new StoreUnavailableError(this.storeName, `watch of ${prefix} (closed)`);
      const range = Range.prefix(prefix);
      const created = new Promise<void>((resolve, reject) => (this.creating = { resolve, reject }));
      stream.write({ create_request: { key: range.start, range_end: range.end, start_revision: this.fromRevision } });
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          created,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`watch of ${prefix} not accepted within ${createTimeoutMs} ms`)), createTimeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
        this.creating = undefined;
      }
    }
    if (this.closed || this.failed) throw this.openError ?? new StoreUnavailableError(this.storeName, 'watch (closed)');
    this.opened = true;
  }

  private receive(response: IWatchResponse): void {
    if (this.closed || this.failed) return;
    if (response.created && !response.canceled) {
      this.watchIds.add(String(response.watch_id));
      this.creating?.resolve();
      return;
    }
    if (response.canceled) {
      const compactRevision = Number(response.compact_revision ?? 0);
      this.fail(
        compactRevision > 0
          ? new WatchCompactedError(this.storeName, this.fromRevision, compactRevision)
          : new StoreUnavailableError(this.storeName, `watch (canceled by etcd: ${response.cancel_reason || 'no reason given'})`),
      );
      return;
    }
    // Progress notifications and responses of watches this stream no longer has carry nothing for us.
    if (!this.watchIds.has(String(response.watch_id))) return;
    for (const event of response.events ?? []) {
      const key = event.kv.key.toString('utf8');
      const revision = Number(event.kv.mod_revision);
      const change: StoreChange =
        event.type === 'Put' ? { type: 'put', key, value: event.kv.value, revision } : { type: 'delete', key, revision };
      void this.queue.run(() => {
        if (this.closed || this.failed) return;
        // Not awaited: the listener takes changes as they come and handles them in batches (the
        // DB watcher writes a batch to its local mirror in one transaction). A listener that
        // cannot take a change breaks the watch: the watcher resyncs.
        const handled = this.listener.onChange(change);
        if (handled) handled.catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))));
      });
    }
  }

  private fail(error: Error): void {
    if (this.closed || this.failed) return;
    this.failed = true;
    this.stream?.cancel();
    if (!this.opened) {
      this.openError = error;
      this.creating?.reject(error);
      return;
    }
    // After the changes already received, so that the listener sees them before the loss.
    void this.queue.run(() => this.listener.onError(error));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    this.creating?.reject(new StoreUnavailableError(this.storeName, 'watch (closed)'));
    this.stream?.cancel();
  }
}
