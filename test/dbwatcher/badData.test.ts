import { DbWatcher } from '../../src/dbwatcher/dbWatcher';
import { KSR_PREFIX } from '../../src/dbwatcher/keys';
import { LmdbStore } from '../../src/dbwatcher/lmdbStore';
import { LocalMirror } from '../../src/dbwatcher/localMirror';
import { ResourceRegistry } from '../../src/dbwatcher/registry';
import { RecordingEventLoop, json, silentLogger, tempDir, waitFor } from './helpers';
import { ScriptedStore } from './scriptedStore';

/**
 * One rule for bad data on every path: the handlers keep the last good value of a key (or do
 * not get a key that never had one), and the key is reported with its reason. The watch is
 * driven by hand (ScriptedStore); the local mirror is a real LMDB file.
 */
describe('bad data: keep the last good value, report the key', () => {
  const podKey = 'k8s/pod/web/namespace/default';
  const podStoreKey = KSR_PREFIX + podKey;
  const good = (ip: string) => Buffer.from(`{"name":"web","namespace":"default","ip_address":"${ip}"}`);
  const dir = tempDir('bad-data');
  let store: ScriptedStore;
  let mirrorStore: LmdbStore;
  let loop: RecordingEventLoop;
  let watcher: DbWatcher;
  let run = 0;

  async function startWatcher(): Promise<void> {
    mirrorStore = new LmdbStore({ dataDir: `${dir.path}/${++run}` });
    const registry = ResourceRegistry.withBuiltins();
    watcher = new DbWatcher({
      eventLoop: loop, store, registry, agentLabel: 'vpp1', logger: silentLogger(),
      localMirror: new LocalMirror(mirrorStore, registry, silentLogger()),
      remoteDBProbingInterval: 30, resyncRetryDelayMs: 30, delayLocalResync: 60_000,
    });
    watcher.start();
    await waitFor(() => loop.resyncs().length === 1, 'the startup resync');
  }

  async function resync(): Promise<void> {
    const count = loop.resyncs().length;
    watcher.requestResync();
    await waitFor(() => loop.resyncs().length === count + 1, 'the requested resync');
  }

  const mirrored = async (key: string) => (await mirrorStore.get(key))?.value.toString();

  beforeEach(() => {
    store = new ScriptedStore();
    loop = new RecordingEventLoop();
  });

  afterEach(async () => {
    await watcher?.close();
    await mirrorStore?.close();
  });

  afterAll(() => dir.remove());

  test('a good pod overwritten with garbage: the change and the resync both keep the last good value', async () => {
    const rev = await store.put(podStoreKey, good('10.0.0.1'));
    await startWatcher();

    const badRev = await store.put(podStoreKey, '{"name":"web", garbage');
    await store.emit({ type: 'put', key: podStoreKey, value: Buffer.from('{"name":"web", garbage'), revision: badRev });
    expect(loop.kubeChanges()).toHaveLength(0);
    expect(await mirrored(podStoreKey)).toBe(good('10.0.0.1').toString());
    let status = watcher.status().badKeys;
    expect(status).toMatchObject({ badValuesTotal: 1, current: 1 });
    expect(status.keys[0]).toMatchObject({ key: podStoreKey, revision: badRev, errorClass: 'ValueDecodeError', keptLastGood: true });
    expect(status.keys[0].error).toMatch(/^cannot decode the value of "\/vnf-agent\/contiv-ksr\/k8s\/pod\/web\/namespace\/default" as pod\.Pod: /);

    // A resync reads the same garbage: same rule, the handlers keep 10.0.0.1, nothing counted twice.
    await resync();
    expect(json(loop.resyncs()[1].kubeState.get('pod')?.get(podKey))).toEqual({ name: 'web', namespace: 'default', ipAddress: '10.0.0.1' });
    expect(await mirrored(podStoreKey)).toBe(good('10.0.0.1').toString());
    status = watcher.status().badKeys;
    expect(status).toMatchObject({ badValuesTotal: 1, current: 1 });

    // A good value again: a change from the last good value, and the key is no longer reported.
    const fixed = await store.put(podStoreKey, good('10.0.0.2'));
    await store.emit({ type: 'put', key: podStoreKey, value: good('10.0.0.2'), revision: fixed });
    expect(loop.kubeChanges().map((c) => [json(c.prevValue), json(c.newValue)])).toEqual([
      [{ name: 'web', namespace: 'default', ipAddress: '10.0.0.1' }, { name: 'web', namespace: 'default', ipAddress: '10.0.0.2' }],
    ]);
    expect(watcher.status().badKeys).toMatchObject({ badValuesTotal: 1, current: 0, keys: [] });
    expect(rev).toBeLessThan(fixed);
  });

  test('a key never seen good is left out of the resync and reported', async () => {
    await store.put(podStoreKey, '{"name":5}');
    await startWatcher();
    expect(loop.resyncs()[0].kubeState.get('pod')).toBeUndefined();
    expect(watcher.status().badKeys.keys).toEqual([
      expect.objectContaining({ key: podStoreKey, keptLastGood: false, error: `cannot decode the value of "${podStoreKey}" as pod.Pod: name: expected a string, got number 5` }),
    ]);
    expect(await mirrored(podStoreKey)).toBeUndefined();
    // Its delete is no change for the handlers, and clears the report.
    await store.emit({ type: 'delete', key: podStoreKey, revision: 10 });
    expect(loop.kubeChanges()).toHaveLength(0);
    expect(watcher.status().badKeys.current).toBe(0);
  });

  test('wrong types, unknown fields, empty values and keys off the layout are rejected on both paths, each with its reason', async () => {
    const bad: [string, string, string][] = [
      [`${KSR_PREFIX}k8s/pod/a/namespace/default`, '{"name":5}', 'name: expected a string, got number 5'],
      [`${KSR_PREFIX}k8s/pod/b/namespace/default`, '{"name":"b","colour":"blue"}', 'colour: unknown field "colour" (not a field of pod.Pod)'],
      [`${KSR_PREFIX}k8s/pod/c/namespace/default`, '', 'empty value'],
      [`${KSR_PREFIX}k8s/pod/d`, '{"name":"d"}', 'key "k8s/pod/d": a pod key must be k8s/pod/<name>/namespace/<namespace>'],
    ];
    for (const [key, value] of bad.slice(0, 2)) await store.put(key, value);
    await startWatcher();
    let revision = 100;
    for (const [key, value] of bad.slice(2)) await store.emit({ type: 'put', key, value: Buffer.from(value), revision: ++revision });
    expect(loop.resyncs()[0].kubeState.size).toBe(0);
    expect(loop.kubeChanges()).toHaveLength(0);
    const reported = watcher.status().badKeys;
    expect(reported.current).toBe(4);
    expect(reported.keys.map((r) => [r.key, r.error.endsWith(bad.find(([k]) => k === r.key)?.[2] ?? '?')])).toEqual(
      bad.map(([key]) => [key, true]).sort(),
    );
    expect(reported.keys.find((r) => r.key.endsWith('/pod/d'))?.errorClass).toBe('KeyLayoutError');
  });
});
