import { DbWatcher } from '../../src/dbwatcher/dbWatcher';
import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { KSR_PREFIX } from '../../src/dbwatcher/keys';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { LmdbStore } from '../../src/dbwatcher/lmdbStore';
import { LocalMirror } from '../../src/dbwatcher/localMirror';
import { ResourceRegistry } from '../../src/dbwatcher/registry';
import { EtcdTestServer } from '../support/etcd';
import { podObject } from './fixtures';
import { RecordingEventLoop, capturingLogger, silentLogger, tempDir, waitFor } from './helpers';

const DELAY_LOCAL_RESYNC = 600;

describe('local DB fallback while etcd is unreachable (real etcd, real LMDB)', () => {
  const registry = ResourceRegistry.withBuiltins();
  const dir = tempDir('local-mirror');
  let etcd: EtcdTestServer;
  let store: EtcdStore;
  const opened: { close(): Promise<void> }[] = [];

  function mirrorIn(path: string): LocalMirror {
    const mirrorStore = new LmdbStore({ dataDir: path });
    opened.push(mirrorStore);
    return new LocalMirror(mirrorStore, registry, silentLogger());
  }

  function watcherWith(loop: RecordingEventLoop, localMirror: LocalMirror, logger = silentLogger()): DbWatcher {
    const watcher = new DbWatcher({
      eventLoop: loop, store, localMirror, registry, agentLabel: 'vpp1', logger,
      delayLocalResync: DELAY_LOCAL_RESYNC, remoteDBProbingInterval: 200,
    });
    opened.unshift(watcher);
    return watcher;
  }

  async function mirroredPods(mirror: LocalMirror): Promise<string[]> {
    return [...((await mirror.load()).get('pod')?.keys() ?? [])].sort();
  }

  beforeAll(async () => {
    etcd = await EtcdTestServer.start();
    store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 1000 });
  });

  afterAll(async () => {
    for (const item of opened) await item.close();
    await store?.close();
    await etcd?.stop();
    dir.remove();
  });

  test('resyncs from the local DB after the delay, then from etcd once it is back, rewriting the mirror', async () => {
    const writer = new KubeStateWriter(store, registry);
    await writer.putResource('pod', podObject('a', '10.1.1.1'));
    await writer.putResource('pod', podObject('b', '10.1.1.2'));
    const mirror = mirrorIn(`${dir.path}/agent`);

    // A first run fills the mirror from etcd.
    const firstLoop = new RecordingEventLoop();
    const first = watcherWith(firstLoop, mirror);
    first.start();
    await waitFor(() => firstLoop.resyncs()[0], 'the first remote resync');
    expect(await mirroredPods(mirror)).toEqual(['k8s/pod/a/namespace/default', 'k8s/pod/b/namespace/default']);
    await first.close();

    // etcd moves on while no agent watches, then goes down: the mirror is now stale.
    await writer.deleteResource('pod', 'a', 'default');
    await writer.putResource('pod', podObject('c', '10.1.1.3'));
    await etcd.terminate();

    const loop = new RecordingEventLoop();
    const watcher = watcherWith(loop, mirror);
    const startedAt = Date.now();
    watcher.start();
    const local = await waitFor(() => loop.resyncs()[0], 'the local resync');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(DELAY_LOCAL_RESYNC - 20);
    expect(local.local).toBe(true);
    expect([...(local.kubeState.get('pod')?.keys() ?? [])].sort()).toEqual(['k8s/pod/a/namespace/default', 'k8s/pod/b/namespace/default']);
    expect(local.externalConfig.size).toBe(0);
    expect(watcher.lastResyncSource).toBe('local');

    await etcd.restart();
    const remote = await waitFor(() => loop.resyncs()[1], 'the remote resync after etcd is back', 30000);
    expect(remote.local).toBe(false);
    expect([...(remote.kubeState.get('pod')?.keys() ?? [])].sort()).toEqual(['k8s/pod/b/namespace/default', 'k8s/pod/c/namespace/default']);
    expect(await mirroredPods(mirror)).toEqual(['k8s/pod/b/namespace/default', 'k8s/pod/c/namespace/default']);
    const etcdKeys = (await store.list([KSR_PREFIX])).entries.map((e) => e.key).sort();
    expect((await mirror.store.list([KSR_PREFIX])).entries.map((e) => e.key).sort()).toEqual(etcdKeys);

    // Kube changes are mirrored as they come.
    await writer.putResource('pod', podObject('d', '10.1.1.4'));
    await waitFor(() => loop.kubeChanges().length === 1, 'the change');
    expect(await mirroredPods(mirror)).toContain('k8s/pod/d/namespace/default');
    expect(loop.view.violations).toEqual([]);
  });

  test('no local resync when the local DB is empty', async () => {
    await etcd.terminate();
    try {
      const { logger, messages } = capturingLogger();
      const loop = new RecordingEventLoop();
      const watcher = watcherWith(loop, mirrorIn(`${dir.path}/empty`), logger);
      watcher.start();
      await waitFor(() => messages.some((m) => m.includes('local DB is empty')), 'the fallback decision');
      expect(loop.events).toHaveLength(0);
      expect(watcher.lastResyncSource).toBeUndefined();
    } finally {
      await etcd.restart();
    }
  });
});
