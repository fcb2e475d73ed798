import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DbWatcher } from '../../src/dbwatcher/dbWatcher';
import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { KSR_PREFIX } from '../../src/dbwatcher/keys';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { LmdbStore } from '../../src/dbwatcher/lmdbStore';
import { LocalMirror } from '../../src/dbwatcher/localMirror';
import { ResourceRegistry } from '../../src/dbwatcher/registry';
import { EtcdTestServer } from '../support/etcd';
import { podObject } from './fixtures';
import { RecordingEventLoop, silentLogger, tempDir, waitFor } from './helpers';

/**
 * A really full disk: the local mirror lives on a tmpfs of 4 MiB (the tests run as root, which
 * may mount one), which the test fills to the last byte with another file.
 */
describe('the local mirror on a full disk (tmpfs, real LMDB, real etcd)', () => {
  const dir = tempDir('mirror-full');
  const mountPoint = join(dir.path, 'mnt');
  let mounted = false;
  let etcd: EtcdTestServer;
  let store: EtcdStore;
  let mirrorStore: LmdbStore | undefined;
  let watcher: DbWatcher | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);

  beforeAll(async () => {
    mkdirSync(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`this test needs a small tmpfs (run as root, "mount -t tmpfs" allowed): ${(error as Error).message}`);
    }
    mounted = true;
    etcd = await EtcdTestServer.start();
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
    process.on('unhandledRejection', onUnhandled);
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await watcher?.close();
    await mirrorStore?.close();
    await store?.close();
    await etcd?.stop();
    if (mounted) execFileSync('umount', [mountPoint]);
    dir.remove();
  });

  test('failed mirror writes are logged, counted and repaired once there is room; the watcher goes on', async () => {
    const registry = ResourceRegistry.withBuiltins();
    const writer = new KubeStateWriter(store, registry);
    await writer.putResource('pod', podObject('first', '10.1.1.1'));
    mirrorStore = new LmdbStore({ dataDir: join(mountPoint, 'mirror') });
    const loop = new RecordingEventLoop();
    watcher = new DbWatcher({
      eventLoop: loop, store, localMirror: new LocalMirror(mirrorStore, registry, silentLogger()), registry,
      agentLabel: 'vpp1', logger: silentLogger(), remoteDBProbingInterval: 200, mirrorRetryMs: 100,
    });
    watcher.start();
    await waitFor(() => loop.resyncs()[0], 'the startup resync');

    // Fill the tmpfs to the last byte.
    const filler = join(mountPoint, 'filler');
    const free = () => Number(statfsSync(mountPoint).bavail) * Number(statfsSync(mountPoint).bsize);
    writeFileSync(filler, Buffer.alloc(Math.max(0, free() - 4096)));
    for (let i = 0; free() > 0; i++) writeFileSync(`${filler}-${i}`, Buffer.alloc(Math.min(free(), 4096)));
    expect(free()).toBe(0);

    const big = 'x'.repeat(20_000);
    for (let i = 0; i < 40; i++) await writer.putResource('pod', podObject(`p${i}`, `10.1.2.${i}`, { annotations: { big } }));
    // The handlers get every change although the mirror cannot take them: as changes, or (when a
    // probe of etcd times out on a loaded machine and the watcher resyncs) in a resync.
    await waitFor(() => loop.view.kube.size === 41, 'the 40 new pods in what the handlers were given', 60_000);
    const failing = await waitFor(() => {
      const status = watcher?.status().localMirror;
      return status && status.writeFailures > 0 && status;
    }, 'counted mirror write failures');
    expect(failing.inSync).toBe(false);
    // lmdb reports a full disk in several words, depending on where the write met it.
    expect(failing.lastError).toMatch(/MDB_MAP_FULL|ENOSPC|No space left|space|failed/i);
    expect(loop.view.violations).toEqual([]);

    // Room again: the next retry rewrites the mirror from etcd.
    rmSync(filler);
    for (let i = 0; ; i++) {
      try {
        rmSync(`${filler}-${i}`);
      } catch {
        break;
      }
    }
    await waitFor(() => watcher?.status().localMirror?.inSync, 'the mirror back in sync', 30_000);
    const inEtcd = (await store.list([KSR_PREFIX])).entries.map((e) => [e.key, e.value.toString()]);
    expect((await mirrorStore.list([KSR_PREFIX])).entries.map((e) => [e.key, e.value.toString()])).toEqual(inEtcd);
    expect(unhandled).toEqual([]);
  });
});
