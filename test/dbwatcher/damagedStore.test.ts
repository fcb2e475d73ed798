import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK_FILE } from '../../src/dbwatcher/dataDirLock';
import { DataDirLockedError, StoreDamagedError } from '../../src/dbwatcher/errors';
import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { KSR_PREFIX } from '../../src/dbwatcher/keys';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { LMDB_FILE, LmdbStore } from '../../src/dbwatcher/lmdbStore';
import { openDbWatcher, type OpenedDbWatcher } from '../../src/dbwatcher/openDbWatcher';
import { ResourceRegistry } from '../../src/dbwatcher/registry';
import { CliProcess } from '../cli/cliProcess';
import { EtcdTestServer } from '../support/etcd';
import { podObject } from './fixtures';
import { RecordingEventLoop, capturingLogger, silentLogger, tempDir, waitFor } from './helpers';

/** A store of `pods` pods in `dir`, closed. */
async function storeWithPods(dir: string, pods: number): Promise<void> {
  const store = new LmdbStore({ dataDir: dir });
  const writer = new KubeStateWriter(store, ResourceRegistry.withBuiltins());
  for (let i = 0; i < pods; i++) await writer.putResource('pod', podObject(`p${i}`, `10.1.${i >> 8}.${i & 255}`, { annotations: { filler: 'x'.repeat(200) } }));
  await store.close();
}

/** Overwrites every page after the two meta pages: reading it in-process would end in SIGSEGV. */
function corruptPages(file: string): void {
  const bytes = readFileSync(file);
  for (let offset = 8192; offset < bytes.length; offset++) bytes[offset] = (offset * 7919) & 0xff;
  writeFileSync(file, bytes);
}

describe('damaged LMDB files and a shared data directory (real LMDB files)', () => {
  const dir = tempDir('damaged-store');
  let etcd: EtcdTestServer;
  let etcdStore: EtcdStore;
  const opened: OpenedDbWatcher[] = [];
  const agents: CliProcess[] = [];

  beforeAll(async () => {
    etcd = await EtcdTestServer.start();
    etcdStore = new EtcdStore({ endpoints: [etcd.endpoint] });
    const writer = new KubeStateWriter(etcdStore, ResourceRegistry.withBuiltins());
    for (const name of ['a', 'b', 'c']) await writer.putResource('pod', podObject(name, '10.1.1.1'));
  });

  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.stop();
    for (const db of opened.splice(0)) await db.close();
  });

  afterAll(async () => {
    await etcdStore?.close();
    await etcd?.stop();
    dir.remove();
  });

  function open(dataDir: string, loop = new RecordingEventLoop(), logger = silentLogger(), etcdEndpoints?: string[]): OpenedDbWatcher {
    const db = openDbWatcher({ eventLoop: loop, agentLabel: 'vpp1', logger, dataDir, etcdEndpoints, remoteDBProbingInterval: 200, delayLocalResync: 60_000 });
    opened.push(db);
    return db;
  }

  test('a corrupt local mirror is moved aside with a timestamp and rebuilt from etcd', async () => {
    const dataDir = join(dir.path, 'corrupt-mirror');
    const mirrorDir = join(dataDir, 'local-mirror');
    await storeWithPods(mirrorDir, 2000);
    corruptPages(join(mirrorDir, LMDB_FILE));

    const { logger, messages } = capturingLogger();
    const loop = new RecordingEventLoop();
    const db = open(dataDir, loop, logger, [etcd.endpoint]);
    expect(messages).toContain('local DB cannot be used: moved aside, rebuilding it from the remote DB');
    expect(readdirSync(mirrorDir).filter((f) => /^kv\.mdb\.damaged-\d{4}-\d\d-\d\dT[\d-]+Z$/.test(f))).toHaveLength(1);
    db.watcher.start();
    await waitFor(() => loop.resyncs()[0], 'the remote resync');
    const mirrored = (await db.localMirror!.store.list([KSR_PREFIX])).entries.map((e) => e.key);
    expect(mirrored).toEqual((await etcdStore.list([KSR_PREFIX])).entries.map((e) => e.key));
  });

  test('a truncated or empty standalone store stops the agent with StoreDamagedError, not a signal or an empty resync', async () => {
    const truncated = join(dir.path, 'truncated');
    await storeWithPods(truncated, 500);
    truncateSync(join(truncated, LMDB_FILE), 16384);
    expect(() => open(truncated)).toThrow(StoreDamagedError);
    expect(() => open(truncated)).toThrow(/kv\.mdb is damaged: the file is truncated: 16384 bytes, its last page ends at byte \d+/);

    const empty = join(dir.path, 'empty');
    await storeWithPods(empty, 1);
    writeFileSync(join(empty, LMDB_FILE), '');
    expect(() => open(empty)).toThrow(/kv\.mdb is damaged: the file is empty \(0 bytes\)/);
    // The lock is released when opening fails: the next start only fails on the store.
    expect(existsSync(join(empty, LOCK_FILE))).toBe(false);

    const corrupt = join(dir.path, 'corrupt');
    await storeWithPods(corrupt, 2000);
    corruptPages(join(corrupt, LMDB_FILE));
    expect(() => open(corrupt)).toThrow(/kv\.mdb is damaged: reading it (failed|killed the checking process)/);
  });

  test('the agent exits with code 2 and a clear message on a damaged standalone store', async () => {
    const dataDir = join(dir.path, 'cli-truncated');
    await storeWithPods(dataDir, 500);
    truncateSync(join(dataDir, LMDB_FILE), 16384);
    const agent = new CliProcess(['agent', '--data-dir', dataDir, '--southbound', '127.0.0.1:1', '--rest-port', '0']);
    agents.push(agent);
    expect(await agent.exited).toEqual({ code: 2, signal: null });
    expect(agent.stderr).toMatch(/agent: the store .*kv\.mdb is damaged: the file is truncated/);
  });

  test('a second agent on the same data directory is refused; a stale lock is taken over', async () => {
    const dataDir = join(dir.path, 'shared');
    open(dataDir);
    expect(() => open(dataDir)).toThrow(new DataDirLockedError(dataDir, process.pid));

    const other = new CliProcess(['agent', '--data-dir', dataDir, '--southbound', '127.0.0.1:1', '--rest-port', '0']);
    agents.push(other);
    expect(await other.exited).toEqual({ code: 2, signal: null });
    expect(other.stderr).toContain(`agent: the data directory ${dataDir} is in use by another agent (pid ${process.pid}); two agents cannot share one`);

    const stale = join(dir.path, 'stale');
    const dead = new CliProcess(['--version']);
    await dead.exited;
    await storeWithPods(stale, 1);
    writeFileSync(join(stale, LOCK_FILE), `${dead.pid}\n`);
    const db = open(stale);
    expect(readFileSync(join(stale, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    await db.close();
    expect(existsSync(join(stale, LOCK_FILE))).toBe(false);
  });
});
