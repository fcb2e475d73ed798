import { DbWatcher } from '../../src/dbwatcher/dbWatcher';
import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { KSR_PREFIX, agentPrefix } from '../../src/dbwatcher/keys';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import type { ResourceRegistry } from '../../src/dbwatcher/registry';
import { EtcdTestServer } from '../support/etcd';
import { DECODED, KSR_VALUES, podObject } from './fixtures';
import { INTERFACE_PREFIX, RecordingEventLoop, json, registryWithInterfaces, silentLogger, waitFor } from './helpers';

describe('DbWatcher on a real etcd', () => {
  let etcd: EtcdTestServer;
  let store: EtcdStore;
  let registry: ResourceRegistry;
  let writer: KubeStateWriter;
  let label = 0;
  const watchers: DbWatcher[] = [];

  /** A fresh agent label per test keeps the external config of tests apart. */
  function startWatcher(loop: RecordingEventLoop): { watcher: DbWatcher; agent: string } {
    const agent = `agent-${++label}`;
    const watcher = new DbWatcher({ eventLoop: loop, store, registry, agentLabel: agent, logger: silentLogger(), remoteDBProbingInterval: 200 });
    watchers.push(watcher);
    watcher.start();
    return { watcher, agent };
  }

  beforeAll(async () => {
    etcd = await EtcdTestServer.start();
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
    registry = registryWithInterfaces();
    writer = new KubeStateWriter(store, registry);
  });

  afterEach(async () => {
    for (const watcher of watchers.splice(0)) await watcher.close();
  });

  afterAll(async () => {
    await store?.close();
    await etcd?.stop();
  });

  test('the startup resync carries every built-in resource and the agent\'s external config', async () => {
    // The values exactly as the reflector wrote them.
    for (const [resource, value] of Object.entries(KSR_VALUES)) {
      const object = DECODED[resource];
      await writer.putRaw(KSR_PREFIX + registry.keyOf(resource, object.name as string, object.namespace as string | undefined), value);
    }
    await writer.putExternalConfig('agent-1', `${INTERFACE_PREFIX}tap1`, { name: 'tap1', mtu: 1450 });
    await writer.putExternalConfig('someone-else', `${INTERFACE_PREFIX}tap9`, { name: 'tap9' });
    const loop = new RecordingEventLoop();
    startWatcher(loop);
    const resync = await waitFor(() => loop.resyncs()[0], 'the startup resync');
    expect(resync.local).toBe(false);
    expect([...resync.kubeState.keys()].sort()).toEqual(Object.keys(KSR_VALUES).sort());
    for (const [resource, object] of Object.entries(DECODED)) {
      const key = registry.keyOf(resource, object.name as string, object.namespace as string | undefined);
      expect(json(resync.kubeState.get(resource)?.get(key))).toEqual(object);
    }
    expect([...resync.externalConfig].map(([k, v]) => [k, json(v)])).toEqual([[`${INTERFACE_PREFIX}tap1`, { name: 'tap1', mtu: 1450 }]]);
    expect(resync.toString()).toContain('1 x pod: [default/web-1]');
  });

  test('changes reach the event loop in order, malformed values are skipped, and the view matches etcd', async () => {
    const loop = new RecordingEventLoop();
    const { watcher, agent } = startWatcher(loop);
    await waitFor(() => loop.resyncs()[0], 'the startup resync');
    await writer.putResource('pod', podObject('p1', '10.1.1.10'));
    await writer.putResource('pod', podObject('p2', '10.1.1.11'));
    await writer.putRaw(KSR_PREFIX + registry.keyOf('pod', 'p1', 'default'), '{"name": "p1", broken');
    await writer.putResource('pod', podObject('p1', '10.1.1.12'));
    await writer.deleteResource('pod', 'p2', 'default');
    await writer.putExternalConfig(agent, `${INTERFACE_PREFIX}tap2`, { name: 'tap2', mtu: 9000 });
    await waitFor(() => loop.externalChanges().length === 1, 'every change');
    expect(loop.kubeChanges().map((c) => `${c.key} ${json(c.prevValue) ? 'upd' : 'add'}${c.newValue ? '' : ' del'}`)).toEqual([
      'k8s/pod/p1/namespace/default add',
      'k8s/pod/p2/namespace/default add',
      'k8s/pod/p1/namespace/default upd',
      'k8s/pod/p2/namespace/default upd del',
    ]);
    expect(loop.view.violations).toEqual([]);
    expect(loop.externalChanges()[0].source).toBe('db');

    // A new resync of the same etcd agrees with what the changes built.
    const changesView = new Map(loop.view.kube);
    watcher.requestResync();
    await waitFor(() => loop.resyncs().length === 2, 'the requested resync');
    expect(loop.view.kube).toEqual(changesView);
    expect(loop.view.external.get(`${INTERFACE_PREFIX}tap2`)).toEqual({ name: 'tap2', mtu: 9000 });
    expect(agentPrefix(agent)).toBe(`/vnf-agent/${agent}/`);
  });
});
