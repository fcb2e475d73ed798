import { recordTimers } from '../support/timers';
import { DB_EXTERNAL_SOURCE } from '../../src/api/externalConfig';
import { DbWatcher } from '../../src/dbwatcher/dbWatcher';
import { KSR_PREFIX, agentPrefix } from '../../src/dbwatcher/keys';
import { INTERFACE_PREFIX, RecordingEventLoop, json, registryWithInterfaces, silentLogger, waitFor } from './helpers';
import { ScriptedStore } from './scriptedStore';

/**
 * The watcher's rules for the rare cases a real etcd does not produce on demand (replayed
 * revisions, refused pushes, failing lists), driven through a scripted store.
 */
describe('DbWatcher rules (scripted store)', () => {
  const podKey = 'k8s/pod/web/namespace/default';
  const podStoreKey = KSR_PREFIX + podKey;
  const pod = (ip: string) => Buffer.from(JSON.stringify({ name: 'web', namespace: 'default', ipAddress: ip }));
  let store: ScriptedStore;
  let loop: RecordingEventLoop;
  let watcher: DbWatcher;

  async function startWatcher(): Promise<void> {
    watcher = new DbWatcher({
      eventLoop: loop,
      store,
      registry: registryWithInterfaces(),
      agentLabel: 'vpp1',
      logger: silentLogger(),
      remoteDBProbingInterval: 30,
      resyncRetryDelayMs: 30,
    });
    watcher.start();
    await waitFor(() => loop.resyncs().length === 1, 'the startup resync');
  }

  beforeEach(() => {
    store = new ScriptedStore();
    loop = new RecordingEventLoop();
  });

  afterEach(async () => {
    await watcher?.close();
  });

  test('changes not newer than the last revision seen for their key are ignored', async () => {
    const rev = await store.put(podStoreKey, pod('10.0.0.1'));
    await startWatcher();
    await store.emit({ type: 'put', key: podStoreKey, value: pod('10.0.0.9'), revision: rev }); // replay of the snapshot
    await store.emit({ type: 'put', key: podStoreKey, value: pod('10.0.0.2'), revision: rev + 5 });
    await store.emit({ type: 'put', key: podStoreKey, value: pod('10.0.0.2'), revision: rev + 5 }); // repeated
    await store.emit({ type: 'put', key: podStoreKey, value: pod('10.0.0.8'), revision: rev + 3 }); // older
    await store.emit({ type: 'delete', key: podStoreKey, revision: rev + 6 });
    await store.emit({ type: 'delete', key: podStoreKey, revision: rev + 6 }); // repeated delete
    const changes = loop.kubeChanges();
    expect(changes.map((c) => [c.key, c.resource, json(c.prevValue), json(c.newValue)])).toEqual([
      [podKey, 'pod', { name: 'web', namespace: 'default', ipAddress: '10.0.0.1' }, { name: 'web', namespace: 'default', ipAddress: '10.0.0.2' }],
      [podKey, 'pod', { name: 'web', namespace: 'default', ipAddress: '10.0.0.2' }, undefined],
    ]);
    expect(loop.view.violations).toEqual([]);
  });

  test('a delete of a key never seen is ignored', async () => {
    await startWatcher();
    await store.emit({ type: 'delete', key: `${KSR_PREFIX}k8s/pod/ghost/namespace/default`, revision: 7 });
    expect(loop.events).toHaveLength(1);
  });

  test('an undecodable value is skipped and the next change carries the last good value as prevValue', async () => {
    const rev = await store.put(podStoreKey, pod('10.0.0.1'));
    await startWatcher();
    await store.emit({ type: 'put', key: podStoreKey, value: Buffer.from('{not json'), revision: rev + 1 });
    await store.emit({ type: 'put', key: podStoreKey, value: pod('10.0.0.3'), revision: rev + 2 });
    expect(loop.kubeChanges().map((c) => [json(c.prevValue), json(c.newValue)])).toEqual([
      [{ name: 'web', namespace: 'default', ipAddress: '10.0.0.1' }, { name: 'web', namespace: 'default', ipAddress: '10.0.0.3' }],
    ]);
  });

  test('external config changes come from source "db"; keys without a model are skipped', async () => {
    await startWatcher();
    const ifKey = `${INTERFACE_PREFIX}tap1`;
    await store.emit({ type: 'put', key: agentPrefix('vpp1') + ifKey, value: Buffer.from('{"name":"tap1","mtu":1500}'), revision: 3 });
    await store.emit({ type: 'put', key: `${agentPrefix('vpp1')}config/unknown/x`, value: Buffer.from('{}'), revision: 4 });
    await store.emit({ type: 'delete', key: agentPrefix('vpp1') + ifKey, revision: 5 });
    const changes = loop.externalChanges();
    expect(changes.map((c) => [c.source, [...c.updatedKVs].map(([k, v]) => [k, json(v)])])).toEqual([
      [DB_EXTERNAL_SOURCE, [[ifKey, { name: 'tap1', mtu: 1500 }]]],
      [DB_EXTERNAL_SOURCE, [[ifKey, undefined]]],
    ]);
    expect(changes[1].updatedKVs.get(ifKey)).toBeNull();
  });

  test('a change that cannot be queued becomes a resync: nothing is lost', async () => {
    await startWatcher();
    loop.full = true;
    const rev = await store.put(podStoreKey, pod('10.0.0.4'));
    await store.emit({ type: 'put', key: podStoreKey, value: pod('10.0.0.4'), revision: rev });
    expect(loop.refused).toBeGreaterThan(0);
    loop.full = false;
    const resync = await waitFor(() => loop.resyncs()[1], 'a resync after the refused change');
    expect(json(resync.kubeState.get('pod')?.get(podKey))).toEqual({ name: 'web', namespace: 'default', ipAddress: '10.0.0.4' });
    expect(loop.view.kube.get(podKey)).toEqual({ name: 'web', namespace: 'default', ipAddress: '10.0.0.4' });
  });

  test('a failed remote resync is retried until it succeeds', async () => {
    store.failLists = 3;
    await startWatcher();
    expect(store.listCalls).toBe(4);
    expect(loop.resyncs()[0].local).toBe(false);
  });

  test('losing the store stops passing changes; regaining it resyncs', async () => {
    await startWatcher();
    const lostWatch = store.listener;
    store.reachable = false;
    await waitFor(() => !watcher.connected, 'the loss to be noticed');
    const rev = await store.put(podStoreKey, pod('10.0.0.5'));
    await lostWatch?.onChange({ type: 'put', key: podStoreKey, value: pod('10.0.0.5'), revision: rev });
    expect(loop.kubeChanges()).toHaveLength(0);
    store.reachable = true;
    const resync = await waitFor(() => loop.resyncs()[1], 'the resync on reconnection');
    expect(resync.kubeState.get('pod')?.has(podKey)).toBe(true);
    expect(store.watchesOpened).toBe(2);
  });

  test('requestResync() pushes a new DBResync; close() stops everything', async () => {
    const timers = recordTimers();
    await startWatcher();
    watcher.requestResync();
    await waitFor(() => loop.resyncs().length === 2, 'the requested resync');
    await watcher.close();
    const calls = store.listCalls;
    watcher.requestResync();
    timers.stopRecording();
    try {
      // Nothing can happen later: every timer the watcher made (probes, retries) is gone.
      await waitFor(() => timers.live.size === 0, 'no timer of the watcher left');
    } finally {
      timers.dispose();
    }
    expect(store.listCalls).toBe(calls);
    expect(store.listener).toBeUndefined();
  });
});
