import { join } from 'node:path';
import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { KSR_PREFIX } from '../../src/dbwatcher/keys';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { NETWORK_DEPENDENCY_RULES, networkKeys, networkResourceRegistry, podTapName } from '../../examples/network';
import { CliProcess } from '../cli/cliProcess';
import { EtcdTestServer } from '../support/etcd';
import { podObject } from './fixtures';
import { eventually, tempDir, waitFor } from './helpers';

const WRITES = 10_050;
const PODS = 50;

/**
 * The real agent process (`contivctl agent`, network handlers, the reference southbound) is
 * paused (SIGSTOP) while 10,050 writes go to etcd and etcd compacts its history past the
 * agent's watch; resumed (SIGCONT), the agent must notice the compaction, resync from a new
 * snapshot and converge, without crashing.
 */
describe('etcd compaction while the agent\'s watch lags', () => {
  const dir = tempDir('compaction-agent');
  let etcd: EtcdTestServer;
  let southbound: SouthboundServer;
  let store: EtcdStore;
  let agent: CliProcess | undefined;

  beforeAll(async () => {
    etcd = await EtcdTestServer.start();
    southbound = await SouthboundServer.start({ listen: '127.0.0.1:0', engineOptions: { dependencyRules: [...NETWORK_DEPENDENCY_RULES] } });
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
  });

  afterAll(async () => {
    agent?.signal('SIGCONT');
    await agent?.stop();
    await store?.close();
    await southbound?.stop();
    await etcd?.stop();
    dir.remove();
  });

  const applied = () => new Set(southbound.engine.dump().filter((key) => key.state === 'CONFIGURED').map((key) => key.key));

  async function podsInEtcd(): Promise<string[]> {
    return (await store.list([`${KSR_PREFIX}k8s/pod/`])).entries.map((e) => e.key.split('/')[5]);
  }

  test('the agent resyncs from a fresh snapshot and converges; nothing crashes; bad keys show in its state and metrics', async () => {
    const writer = new KubeStateWriter(store, networkResourceRegistry());
    await writer.putResource('namespace', { name: 'default' });
    for (let i = 0; i < 5; i++) await writer.putResource('pod', podObject(`early${i}`, ''));
    agent = new CliProcess([
      'agent', '--etcd-endpoints', etcd.endpoint, '--southbound', southbound.address, '--rest-port', '0',
      '--data-dir', join(dir.path, 'agent'), '--controller-remote-db-probing-interval', '200',
    ]);
    const restUrl = await agent.restUrl();
    await eventually(async () => expect((await fetch(`${restUrl}/readyz`)).status).toBe(200), 30_000);

    agent.signal('SIGSTOP');
    const filler = 'x'.repeat(500);
    let lastRevision = 0;
    for (let done = 0; done < WRITES; done += 50) {
      const revisions = await Promise.all(
        Array.from({ length: Math.min(50, WRITES - done) }, (_, i) =>
          writer.putResource('pod', podObject(`p${(done + i) % PODS}`, '', { annotations: { seq: String(done + i), filler } })).then((r) => r.revision),
        ),
      );
      lastRevision = Math.max(lastRevision, ...revisions);
    }
    await store.compact(lastRevision);
    const outputBefore = agent.stdout.length;
    agent.signal('SIGCONT');

    // Resumed, the agent meets the compaction on its watch, or first a probe that times out while
    // it digests the backlog (the DB "connection lost" path); either way it must resync from a
    // fresh snapshot taken after the compaction, and never crash.
    await agent.waitForOutput(/the watch fell behind a compaction: resyncing from a new snapshot|DB connection lost: watch stopped/, 60_000);
    await eventually(() => {
      const after = agent?.stdout.slice(outputBefore) ?? '';
      const resync = /"revision":(\d+),"keys":\d+,"msg":"resynced from the DB"/.exec(after);
      expect(resync && Number(resync[1])).toBeGreaterThanOrEqual(lastRevision);
    }, 60_000);
    const pods = await podsInEtcd();
    expect(pods).toHaveLength(PODS + 5);
    await eventually(() => {
      const keys = applied();
      for (const pod of pods) expect(keys.has(networkKeys.interface(podTapName('default', pod)))).toBe(true);
    }, 60_000);
    expect(agent.running).toBe(true);
    expect(agent.stdout + agent.stderr).not.toMatch(/ClientRuntimeError|Failed to find watcher|uncaught|unhandled/i);

    // The watch after the resync works, and a bad value is reported in the state and the metrics.
    await writer.putRaw(`${KSR_PREFIX}k8s/pod/broken/namespace/default`, '{"name":5}');
    await writer.putResource('pod', podObject('late', ''));
    await eventually(() => expect(applied().has(networkKeys.interface(podTapName('default', 'late')))).toBe(true), 30_000);
    const state = (await (await fetch(`${restUrl}/controller/state`)).json()) as { dbWatcher: { connected: boolean; badKeys: { current: number; keys: { key: string; error: string }[] } } };
    expect(state.dbWatcher.connected).toBe(true);
    expect(state.dbWatcher.badKeys.current).toBe(1);
    expect(state.dbWatcher.badKeys.keys[0]).toMatchObject({ key: `${KSR_PREFIX}k8s/pod/broken/namespace/default`, error: expect.stringContaining('name: expected a string, got number 5') });
    const metrics = await (await fetch(`${restUrl}/metrics`)).text();
    expect(metrics).toMatch(/^contiv_controller_db_bad_keys 1$/m);
    expect(metrics).toMatch(/^contiv_controller_db_bad_values_total 1$/m);
    expect(metrics).toMatch(/^contiv_controller_db_local_mirror_write_failures_total 0$/m);

    agent.signal('SIGTERM');
    expect(await agent.exited).toEqual({ code: 0, signal: null });
    await waitFor(() => !agent?.running, 'the exit');
  }, 240_000);
});
