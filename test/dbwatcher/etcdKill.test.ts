import { decodeValue } from '../../src/dbwatcher/codec';
import { DbWatcher } from '../../src/dbwatcher/dbWatcher';
import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { KSR_PREFIX } from '../../src/dbwatcher/keys';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { LmdbStore } from '../../src/dbwatcher/lmdbStore';
import { LocalMirror } from '../../src/dbwatcher/localMirror';
import { ResourceRegistry } from '../../src/dbwatcher/registry';
import { EtcdTestServer } from '../support/etcd';
import { podObject } from './fixtures';
import { RecordingEventLoop, json, silentLogger, tempDir, waitFor } from './helpers';

const WRITES = 1000;
const KEYS = 40;
const KILL_AT = 300;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The write number a pod value carries (its "seq" label), to check values only move forward. */
function seqOf(value: unknown): number {
  const label = (value as { label?: { key: string; value: string }[] } | undefined)?.label?.find((l) => l.key === 'seq');
  return label ? Number(label.value) : -1;
}

describe('etcd killed (SIGKILL) and restarted during 1,000 writes', () => {
  const registry = ResourceRegistry.withBuiltins();
  const dir = tempDir('kill-mirror');
  let etcd: EtcdTestServer;
  let store: EtcdStore;
  let mirrorStore: LmdbStore;
  let watcher: DbWatcher | undefined;

  beforeAll(async () => {
    etcd = await EtcdTestServer.start();
    store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 1000 });
    mirrorStore = new LmdbStore({ dataDir: dir.path });
  });

  afterAll(async () => {
    await watcher?.close();
    await mirrorStore?.close();
    await store?.close();
    await etcd?.stop();
    dir.remove();
  });

  test('after etcd is back the handlers\' view equals etcd: nothing lost, nothing applied twice', async () => {
    const loop = new RecordingEventLoop();
    const mirror = new LocalMirror(mirrorStore, registry, silentLogger());
    watcher = new DbWatcher({ eventLoop: loop, store, localMirror: mirror, registry, agentLabel: 'vpp1', logger: silentLogger(), remoteDBProbingInterval: 200 });
    watcher.start();
    await waitFor(() => loop.resyncs()[0], 'the startup resync');

    const writer = new KubeStateWriter(store, registry);
    let failedWrites = 0;
    let outage: Promise<void> | undefined;
    for (let i = 0; i < WRITES; i++) {
      if (i === KILL_AT) outage = etcd.kill().then(() => delay(1500)).then(() => etcd.restart());
      const name = `p${i % KEYS}`;
      // The reflector's behaviour: a failed write is retried until etcd takes it. Each attempt
      // writes a distinct value, so an ambiguous failure that did commit stays distinguishable.
      for (let attempt = 0; ; attempt++) {
        try {
          if (i % 9 === 8) await writer.deleteResource('pod', name, 'default');
          else await writer.putResource('pod', podObject(name, `10.1.${i % 250}.${attempt}`, { label: [{ key: 'seq', value: String(i * 100 + attempt) }] }));
          break;
        } catch {
          failedWrites++;
          await delay(50);
        }
      }
    }
    await outage;
    expect(failedWrites).toBeGreaterThan(0);

    const inEtcd = new Map<string, unknown>();
    for (const entry of (await store.list([KSR_PREFIX])).entries) {
      inEtcd.set(entry.key.slice(KSR_PREFIX.length), decodeValue(entry.key, registry.get('pod').type, entry.value).toJSON());
    }
    await waitFor(() => JSON.stringify([...loop.view.kube].sort()) === JSON.stringify([...inEtcd].sort()), 'the handlers\' view to equal etcd', 30000);
    expect(loop.view.kube).toEqual(inEtcd);
    expect(loop.view.violations).toEqual([]);
    expect(loop.resyncs().length).toBeGreaterThanOrEqual(2);
    for (const change of loop.kubeChanges()) {
      if (change.newValue && change.prevValue) expect(seqOf(json(change.newValue))).toBeGreaterThan(seqOf(json(change.prevValue)));
    }
    const mirrored = (await mirrorStore.list([KSR_PREFIX])).entries.map((e) => [e.key, e.value.toString()]);
    const etcdRaw = (await store.list([KSR_PREFIX])).entries.map((e) => [e.key, e.value.toString()]);
    expect(mirrored).toEqual(etcdRaw);
  });
});
