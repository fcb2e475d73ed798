import { DbWatcher } from '../../src/dbwatcher/dbWatcher';
import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { KSR_PREFIX } from '../../src/dbwatcher/keys';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { ResourceRegistry } from '../../src/dbwatcher/registry';
import { EtcdTestServer } from '../support/etcd';
import { podObject } from './fixtures';
import { RecordingEventLoop, silentLogger, waitFor } from './helpers';

const PODS = 10_000;
const GRPC_RECEIVE_LIMIT = 4 * 1024 * 1024;

/** A kube state over gRPC's 4 MiB receive limit: 10,000 pods of ~600 bytes in a real etcd. */
describe('a kube state larger than one gRPC message (real etcd)', () => {
  const registry = ResourceRegistry.withBuiltins();
  let etcd: EtcdTestServer;
  let store: EtcdStore;
  let writer: KubeStateWriter;
  const closers: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    etcd = await EtcdTestServer.start();
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
    writer = new KubeStateWriter(store, registry);
    const filler = 'x'.repeat(480);
    for (let done = 0; done < PODS; done += 200) {
      await Promise.all(Array.from({ length: 200 }, (_, i) => writer.putResource('pod', podObject(`pod-${done + i}`, `10.1.${(done + i) >> 8}.${(done + i) & 255}`, { annotations: { filler } }))));
    }
  }, 120_000);

  afterAll(async () => {
    for (const closer of closers) await closer.close();
    await store?.close();
    await etcd?.stop();
  });

  test('list() reads it in pages, all at the revision of the first page', async () => {
    const paged = new EtcdStore({ endpoints: [etcd.endpoint], listPageSize: 700 });
    closers.push(paged);
    // Writes during the read: new keys sorting last must not show up (they are newer than the snapshot).
    const during = Promise.all(Array.from({ length: 20 }, (_, i) => writer.putResource('pod', podObject(`zz-${i}`, '10.9.9.9'))));
    const snapshot = await paged.list([KSR_PREFIX]);
    await during;
    const bytes = snapshot.entries.reduce((sum, e) => sum + e.key.length + e.value.length, 0);
    expect(bytes).toBeGreaterThan(GRPC_RECEIVE_LIMIT);
    expect(snapshot.entries.every((e) => e.modRevision <= snapshot.revision)).toBe(true);
    const keys = snapshot.entries.map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);
    const atRevision = (await store.list([KSR_PREFIX])).entries.filter((e) => e.modRevision <= snapshot.revision).map((e) => e.key);
    expect(keys).toEqual(atRevision);
    expect(keys.filter((k) => k.includes('/pod-'))).toHaveLength(PODS);
  });

  test('a page too big for one gRPC message is asked again in halves', async () => {
    const oversized = new EtcdStore({ endpoints: [etcd.endpoint], listPageSize: 100_000 });
    closers.push(oversized);
    const snapshot = await oversized.list([KSR_PREFIX]);
    expect(snapshot.entries.filter((e) => e.key.includes('/pod-'))).toHaveLength(PODS);
  });

  test('the watcher resyncs it and continues with the watch from the next revision', async () => {
    const loop = new RecordingEventLoop();
    const watcher = new DbWatcher({ eventLoop: loop, store, registry, agentLabel: 'vpp1', logger: silentLogger(), remoteDBProbingInterval: 200 });
    closers.push(watcher);
    watcher.start();
    const resync = await waitFor(() => loop.resyncs()[0], 'the startup resync', 60_000);
    expect([...(resync.kubeState.get('pod')?.keys() ?? [])].filter((k) => k.startsWith('k8s/pod/pod-'))).toHaveLength(PODS);
    await writer.putResource('pod', podObject('after', '10.2.0.1'));
    await writer.deleteResource('pod', 'pod-1', 'default');
    await waitFor(() => loop.kubeChanges().length === 2, 'the two changes');
    expect(loop.kubeChanges().map((c) => [c.key, c.newValue ? 'put' : 'delete'])).toEqual([
      ['k8s/pod/after/namespace/default', 'put'],
      ['k8s/pod/pod-1/namespace/default', 'delete'],
    ]);
    expect(loop.view.violations).toEqual([]);
  });
});
