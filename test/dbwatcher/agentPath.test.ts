import { Root } from 'protobufjs';
import type { Event } from '../../src/api/event';
import { DBResync, KubeStateChange } from '../../src/api/events';
import type { EventHandler } from '../../src/api/handler';
import type { ResyncOperations, UpdateOperations } from '../../src/api/transaction';
import type { KubeStateData, ProtoMessage } from '../../src/api/types';
import { createController, type Controller } from '../../src/controller';
import { DbWatcher } from '../../src/dbwatcher/dbWatcher';
import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { KSR_PREFIX, agentPrefix } from '../../src/dbwatcher/keys';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { ResourceRegistry } from '../../src/dbwatcher/registry';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { GrpcSouthbound } from '../../src/southbound/grpc/client';
import { InMemorySouthbound } from '../../src/southbound/memory';
import { EtcdTestServer } from '../support/etcd';
import { podObject } from './fixtures';
import { eventually, silentLogger, waitFor } from './helpers';

/** What the handler and the external config put into the southbound. */
const types = Root.fromJSON({
  nested: {
    agenttest: {
      nested: {
        PodAddress: { fields: { pod: { type: 'string', id: 1 }, ip: { type: 'string', id: 2 } } },
        Interface: { fields: { name: { type: 'string', id: 1 }, mtu: { type: 'uint32', id: 2 } } },
      },
    },
  },
});
const PodAddress = types.lookupType('agenttest.PodAddress');
const Interface = types.lookupType('agenttest.Interface');
const INTERFACES = 'config/interfaces/';

function addressKey(podKey: string): string {
  return `config/pod-address/${podKey.slice('k8s/pod/'.length)}`;
}

/** A handler that gives every pod an address entry in the southbound. */
class PodAddressHandler implements EventHandler {
  readonly name = 'pod-address';
  readonly seen: string[] = [];

  handlesEvent(event: Event): boolean {
    return event instanceof DBResync || (event instanceof KubeStateChange && event.resource === 'pod');
  }

  private address(value: ProtoMessage): ProtoMessage {
    const pod = value as unknown as { name: string; namespace: string; ipAddress: string };
    return PodAddress.create({ pod: `${pod.namespace}/${pod.name}`, ip: pod.ipAddress });
  }

  resync(event: Event, kubeState: KubeStateData, _count: number, txn: ResyncOperations): void {
    this.seen.push(event.getName());
    for (const [key, pod] of kubeState.get('pod') ?? []) if (pod) txn.put(addressKey(key), this.address(pod));
  }

  update(event: Event, txn: UpdateOperations): string {
    const change = event as KubeStateChange;
    this.seen.push(`${event.getName()} ${change.key}`);
    if (change.newValue) txn.put(addressKey(change.key), this.address(change.newValue));
    else txn.delete(addressKey(change.key));
    return `pod ${change.key}`;
  }

  revert(): void {}
}

describe('the agent path: etcd -> DB watcher -> controller -> southbound', () => {
  const registry = ResourceRegistry.withBuiltins().registerExternalConfig({ keyPrefix: INTERFACES, type: Interface });
  let etcd: EtcdTestServer;
  let store: EtcdStore;
  let writer: KubeStateWriter;
  const cleanups: (() => Promise<void>)[] = [];

  /** What the handlers derive from etcd: an address per pod, plus the agent's external config. */
  async function expectedFromEtcd(agent: string): Promise<Record<string, unknown>> {
    const expected: Record<string, unknown> = {};
    const snapshot = await store.list([KSR_PREFIX, agentPrefix(agent)]);
    for (const entry of snapshot.entries) {
      const value = JSON.parse(entry.value.toString()) as Record<string, unknown>;
      if (entry.key.startsWith(agentPrefix(agent))) expected[entry.key.slice(agentPrefix(agent).length)] = value;
      else if (entry.key.startsWith(`${KSR_PREFIX}k8s/pod/`)) {
        // The reflector's encoding: original field names.
        expected[addressKey(entry.key.slice(KSR_PREFIX.length))] = { pod: `${value.namespace}/${value.name}`, ip: value.ip_address };
      }
    }
    return expected;
  }

  async function startAgent(agent: string, southbound: InMemorySouthbound | GrpcSouthbound): Promise<{ controller: Controller; handler: PodAddressHandler }> {
    const handler = new PodAddressHandler();
    const controller = createController({ handlers: [handler], southbound, logger: silentLogger(), config: { enableRetry: false } });
    await controller.start();
    const watcher = new DbWatcher({ eventLoop: controller, store, registry, agentLabel: agent, logger: silentLogger(), remoteDBProbingInterval: 200 });
    watcher.start();
    cleanups.unshift(async () => {
      await watcher.close();
      await controller.close();
    });
    return { controller, handler };
  }

  beforeAll(async () => {
    etcd = await EtcdTestServer.start();
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
    writer = new KubeStateWriter(store, registry);
    await writer.putResource('pod', podObject('a', '10.1.1.1'));
    await writer.putResource('pod', podObject('b', '10.1.1.2'));
    await writer.putResource('namespace', { name: 'default' });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  afterAll(async () => {
    await store?.close();
    await etcd?.stop();
  });

  test('follow-on events reach the handlers and the southbound state follows etcd (in-memory southbound)', async () => {
    const southbound = new InMemorySouthbound();
    await writer.putExternalConfig('mem-agent', `${INTERFACES}tap0`, { name: 'tap0', mtu: 1500 });
    const { controller, handler } = await startAgent('mem-agent', southbound);
    const applied = () => Object.fromEntries([...southbound.applied].map(([k, v]) => [k, (v as unknown as { toJSON(): unknown }).toJSON()]));
    await waitFor(() => controller.health().ready, 'the startup resync to be applied');
    expect(applied()).toEqual(await expectedFromEtcd('mem-agent'));

    await writer.putResource('pod', podObject('c', '10.1.1.3'));
    await writer.deleteResource('pod', 'a', 'default');
    await writer.putResource('pod', podObject('b', '10.1.1.22'));
    await writer.putExternalConfig('mem-agent', `${INTERFACES}tap1`, { name: 'tap1', mtu: 9000 });
    await writer.deleteExternalConfig('mem-agent', `${INTERFACES}tap0`);
    const expected = await expectedFromEtcd('mem-agent');
    await eventually(() => expect(applied()).toEqual(expected));
    expect(handler.seen).toEqual([
      'Database Resync',
      'Kubernetes State Change k8s/pod/c/namespace/default',
      'Kubernetes State Change k8s/pod/a/namespace/default',
      'Kubernetes State Change k8s/pod/b/namespace/default',
    ]);
  });

  test('the gRPC southbound\'s applied state matches what the handlers derive from etcd', async () => {
    const server = await SouthboundServer.start({ listen: '127.0.0.1:0', logger: silentLogger() });
    const southbound = new GrpcSouthbound({ address: server.address, logger: silentLogger(), types });
    cleanups.push(async () => {
      await southbound.close();
      await server.stop();
    });
    await writer.putExternalConfig('grpc-agent', `${INTERFACES}eth0`, { name: 'eth0', mtu: 1400 });
    const { controller } = await startAgent('grpc-agent', southbound);
    await waitFor(() => controller.health().ready, 'the startup resync to be applied');
    await writer.putResource('pod', podObject('d', '10.1.1.4'));
    await writer.deleteResource('pod', 'c', 'default');
    await writer.putExternalConfig('grpc-agent', `${INTERFACES}eth1`, { name: 'eth1', mtu: 1500 });

    const southboundState = async () => {
      const state: Record<string, unknown> = {};
      for (const key of await southbound.dumpState()) {
        if (!key.applied || key.state !== 'CONFIGURED') continue;
        const type = types.lookupType(key.applied.type_url.slice(key.applied.type_url.lastIndexOf('/') + 1));
        state[key.key] = type.decode(key.applied.value).toJSON();
      }
      return state;
    };
    const expected = await expectedFromEtcd('grpc-agent');
    await eventually(async () => expect(await southboundState()).toEqual(expected));
  });
});
