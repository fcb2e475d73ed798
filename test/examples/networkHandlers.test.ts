import { KubeStateChange, UpdateTransactionType } from '../../src';
import { DependencyRules } from '../../src/southbound/agent/dependencyRules';
import {
  DEFAULT_POD_MTU,
  IpamExhaustedError,
  MtuRefusedError,
  NETWORK_DEPENDENCY_RULES,
  PodMtuChange,
  createNetworkHandlers,
  networkKeys,
  nodeSubnetOf,
} from '../../examples/network';
import { InvalidNetworkOptionsError } from '../../examples/network/errors';
import { waitFor } from '../support/waitFor';
import { appliedJson, endpointsObject, pod, serviceObject, startNetwork, type NetworkRig } from './networkFixture';

const rigs: NetworkRig[] = [];
async function rig(...args: Parameters<typeof startNetwork>): Promise<NetworkRig> {
  const started = await startNetwork(...args);
  rigs.push(started);
  return started;
}

afterEach(async () => {
  for (const started of rigs.splice(0)) await started.close();
});

const tapKey = (ns: string, name: string) => networkKeys.interface(`tap-${ns}-${name}`);
const podKeys = (ns: string, name: string, ip: string) => [
  tapKey(ns, name),
  networkKeys.arp(`tap-${ns}-${name}`, ip),
  networkKeys.route(1, `${ip}/32`, ip),
];
const NODE_KEYS = [networkKeys.vrfTable(1), networkKeys.nat44Global()];

/** A pod add that is RevertOnFailure: how a test reaches the handlers' revert for kube changes. */
class RevertOnFailurePodAdd extends KubeStateChange {
  override transactionType(): UpdateTransactionType {
    return UpdateTransactionType.RevertOnFailure;
  }
}

describe('IPAM', () => {
  test('carves the node subnet from the pod subnet by the node name, deterministically', () => {
    expect(nodeSubnetOf({ nodeName: 'node-1', podSubnet: '10.1.0.0/16' })).toEqual({ network: 0x0a010100, prefix: 24 });
    expect(nodeSubnetOf({ nodeName: 'worker-7', podSubnet: '10.1.0.0/16', nodeSubnetPrefix: 26 })).toEqual({ network: 0x0a0101c0, prefix: 26 });
    const hashed = nodeSubnetOf({ nodeName: 'alpha', podSubnet: '10.1.0.0/16' });
    expect(nodeSubnetOf({ nodeName: 'alpha', podSubnet: '10.1.0.0/16' })).toEqual(hashed);
    expect(() => createNetworkHandlers({ podSubnet: '10.1.0.0/16', nodeSubnetPrefix: 16 })).toThrow(InvalidNetworkOptionsError);
    expect(() => createNetworkHandlers({ podSubnet: '10.1.0/16' })).toThrow(InvalidNetworkOptionsError);
  });

  test('allocates the lowest free addresses, in pod order at resync, keeps a pod\'s own address, and releases on delete', async () => {
    const network = await rig([pod('web-2'), pod('web-1'), pod('db', 'data', '10.1.1.50')]);
    expect(JSON.parse(network.handlerState('ipam'))).toEqual([
      ['data/db', '10.1.1.50'],
      ['shop/web-1', '10.1.1.2'],
      ['shop/web-2', '10.1.1.3'],
    ]);
    const added = await network.put(pod('web-3'));
    expect(added.handlers.find((h) => h.handler === 'ipam')?.change).toBe('shop/web-3 -> 10.1.1.4');
    const deleted = await network.delete(pod('web-1'));
    expect(deleted.handlers.find((h) => h.handler === 'ipam')?.change).toBe('released 10.1.1.2 of shop/web-1');
    await network.put(pod('web-4'));
    expect(JSON.parse(network.handlerState('ipam'))).toContainEqual(['shop/web-4', '10.1.1.2']);
  });

  test('a resync keeps the addresses of the pods still present (no renumbering)', async () => {
    const network = await rig([pod('a'), pod('b'), pod('c')]);
    await network.delete(pod('a'));
    // d was added while the DB watcher was away: the kit's state has it, the resync carries it.
    const [keyword, fields] = pod('d');
    network.kit.kubeState.put(keyword, fields);
    await network.kit.resync();
    expect(JSON.parse(network.handlerState('ipam'))).toEqual([
      ['shop/b', '10.1.1.3'],
      ['shop/c', '10.1.1.4'],
      ['shop/d', '10.1.1.2'],
    ]);
  });

  test('an exhausted subnet fails the pod add (a handler error that asks for healing)', async () => {
    const network = await rig([pod('a'), pod('b')], { nodeSubnetPrefix: 30 });
    const record = await network.put(pod('c'));
    const ipamCall = record.handlers.find((h) => h.handler === 'ipam');
    expect(ipamCall?.error).toContain(new IpamExhaustedError('10.1.0.4/30', ['shop/c']).message.split(' for ')[0]);
    expect(record.handlers.find((h) => h.handler === 'pod-network')?.error).toContain('has no address from IPAM');
  });

  test('a RevertOnFailure pod add whose commit fails is reverted in IPAM and in the pod network', async () => {
    const network = await rig([pod('web-1')]);
    const ipamBefore = network.handlerState('ipam');
    const podNetworkBefore = network.handlerState('pod-network');
    network.southbound.injectFailure({ keys: tapKey('shop', 'web-2'), times: 1, error: 'tap busy' });
    const [keyword, fields] = pod('web-2');
    const kubeState = network.kit.kubeState;
    const failed = await network.kit.process(
      new RevertOnFailurePodAdd({ key: kubeState.key(keyword, fields.name, fields.namespace), resource: keyword, newValue: kubeState.message(keyword, fields) }),
    );
    expect(failed.txnError).toContain('tap busy');
    expect(failed.handlers.filter((h) => h.revert).map((h) => h.handler)).toEqual(['pod-network', 'ipam']);
    expect(network.handlerState('ipam')).toBe(ipamBefore);
    expect(network.handlerState('pod-network')).toBe(podNetworkBefore);
    expect(Object.keys(appliedJson(network.southbound)).filter((k) => k.includes('web-2'))).toEqual([]);
    // The address was given back: a later add gets the same one.
    const retried = await network.put(pod('web-2'));
    expect(retried.handlers.find((h) => h.handler === 'ipam')?.change).toBe('shop/web-2 -> 10.1.1.3');
  });
});

describe('pod network', () => {
  test('puts a TAP, a static ARP entry and a route per pod, plus the pod VRF', async () => {
    const network = await rig([pod('web-1'), pod('client', 'default')]);
    const applied = appliedJson(network.southbound);
    expect(Object.keys(applied).sort()).toEqual(
      [...NODE_KEYS, ...podKeys('default', 'client', '10.1.1.2'), ...podKeys('shop', 'web-1', '10.1.1.3')].sort(),
    );
    expect(applied[tapKey('shop', 'web-1')]).toEqual({
      name: 'tap-shop-web-1',
      type: 'TAP',
      enabled: true,
      mtu: DEFAULT_POD_MTU,
      vrf: 1,
      ipAddresses: ['10.1.1.3/32'],
      tap: { version: 2, hostIfName: 'eth0' },
    });
    expect(applied[networkKeys.arp('tap-shop-web-1', '10.1.1.3')]).toEqual({
      interface: 'tap-shop-web-1',
      ipAddress: '10.1.1.3',
      physAddress: '02:fe:0a:01:01:03',
      static: true,
    });
    expect(applied[networkKeys.route(1, '10.1.1.3/32', '10.1.1.3')]).toEqual({
      type: 'INTRA_VRF',
      vrfId: 1,
      dstNetwork: '10.1.1.3/32',
      nextHopAddr: '10.1.1.3',
      outgoingInterface: 'tap-shop-web-1',
    });
    expect(applied[networkKeys.vrfTable(1)]).toEqual({ id: 1, protocol: 'IPV4', label: 'PodVRF' });
  });

  test('a pod add runs IPAM then the pod network (Forward); a delete runs them backwards (Reverse) and removes the keys', async () => {
    const network = await rig();
    const added = await network.put(pod('web-1'));
    expect(added.handlers.map((h) => h.handler)).toEqual(['ipam', 'pod-network']);
    expect(added.handlers.map((h) => h.change)).toEqual(['shop/web-1 -> 10.1.1.2', 'wired shop/web-1: tap-shop-web-1 10.1.1.2']);
    expect(Object.keys(appliedJson(network.southbound))).toEqual(expect.arrayContaining(podKeys('shop', 'web-1', '10.1.1.2')));

    const deleted = await network.delete(pod('web-1'));
    expect(deleted.handlers.map((h) => h.handler)).toEqual(['pod-network', 'ipam']);
    expect(deleted.handlers.map((h) => h.change)).toEqual(['unwired shop/web-1 (10.1.1.2)', 'released 10.1.1.2 of shop/web-1']);
    expect(Object.keys(appliedJson(network.southbound)).sort()).toEqual([...NODE_KEYS].sort());
    // The delete transaction removes the route before the ARP entry before the TAP.
    const order = deleted.txn?.executed.map((op) => `${op.operation} ${op.key}`);
    expect(order).toEqual(podKeys('shop', 'web-1', '10.1.1.2').reverse().map((key) => `DELETE ${key}`));
  });

  test('a modified pod (same address) changes nothing', async () => {
    const network = await rig([pod('web-1')]);
    const commits = network.southbound.transactions.length;
    const record = await network.put(['pod', { name: 'web-1', namespace: 'shop', label: [{ key: 'app', value: 'web' }] }]);
    expect(record.handlers.map((h) => h.change ?? '')).toEqual(['', '']);
    expect(network.southbound.transactions.length).toBe(commits);
  });
});

describe('service NAT', () => {
  const web = serviceObject('web', 'shop', '10.96.0.10', [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090, protocol: 'UDP' }]);
  const dnatKey = networkKeys.dnat44('shop-web');

  test('maps each service port from the cluster IP to the ready endpoints, whichever arrives first', async () => {
    const network = await rig([pod('web-1'), pod('web-2')]);
    const first = await network.put(endpointsObject('web', 'shop', ['10.1.1.3', '10.1.1.2'], [{ name: 'http', port: 8080 }]));
    expect(first.handlers).toEqual([{ handler: 'service-nat', revert: false }]);
    expect(appliedJson(network.southbound)[dnatKey]).toBeUndefined();

    const second = await network.put(web);
    expect(second.handlers[0]?.change).toBe('shop/web: 10.96.0.10:80/TCP -> 10.1.1.2:8080, 10.1.1.3:8080');
    expect(appliedJson(network.southbound)[dnatKey]).toEqual({
      label: 'shop-web',
      stMappings: [
        {
          externalIp: '10.96.0.10',
          externalPort: 80,
          localIps: [
            { vrfId: 1, localIp: '10.1.1.2', localPort: 8080, probability: 1 },
            { vrfId: 1, localIp: '10.1.1.3', localPort: 8080, probability: 1 },
          ],
          protocol: 'TCP',
        },
      ],
    });
  });

  test('follows endpoint changes and removes the mapping when no endpoint is ready or the service goes', async () => {
    const network = await rig([web, endpointsObject('web', 'shop', ['10.1.1.2'], [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9100 }])]);
    expect(JSON.stringify(appliedJson(network.southbound)[dnatKey])).toContain('"protocol":"UDP"');
    await network.put(endpointsObject('web', 'shop', ['10.1.1.4'], [{ name: 'http', port: 8081 }]));
    expect(appliedJson(network.southbound)[dnatKey]?.stMappings).toEqual([
      { externalIp: '10.96.0.10', externalPort: 80, localIps: [{ vrfId: 1, localIp: '10.1.1.4', localPort: 8081, probability: 1 }], protocol: 'TCP' },
    ]);
    const emptied = await network.put(endpointsObject('web', 'shop', [], []));
    expect(emptied.handlers[0]?.change).toBe('shop/web: no ready endpoints, mapping removed');
    expect(appliedJson(network.southbound)[dnatKey]).toBeUndefined();
    await network.put(endpointsObject('web', 'shop', ['10.1.1.5'], [{ name: 'http', port: 8080 }]));
    expect(appliedJson(network.southbound)[dnatKey]).toBeDefined();
    await network.delete(web);
    expect(appliedJson(network.southbound)[dnatKey]).toBeUndefined();
    expect(Object.keys(appliedJson(network.southbound))).toContain(networkKeys.nat44Global());
  });
});

describe('RevertOnFailure: Pod MTU Change', () => {
  test('an MTU the service NAT accepts is committed on every pod interface', async () => {
    const network = await rig([pod('web-1'), pod('web-2')]);
    const change9000 = new PodMtuChange(9000);
    network.kit.controller.pushEvent(change9000);
    await change9000.wait();
    const applied = appliedJson(network.southbound);
    expect([applied[tapKey('shop', 'web-1')]?.mtu, applied[tapKey('shop', 'web-2')]?.mtu]).toEqual([9000, 9000]);
  });

  test('an MTU above the NAT\'s limit is refused: the pod network is reverted and nothing is committed', async () => {
    const network = await rig([pod('web-1'), pod('web-2')]);
    const before = network.handlerState('pod-network');
    const commits = network.southbound.transactions.length;
    const refused = new PodMtuChange(9216);
    network.kit.controller.pushEvent(refused);
    await expect(refused.wait()).rejects.toBeInstanceOf(MtuRefusedError);
    const record = network.kit.controller.eventHistory({ last: 1 })[0];
    expect(record?.name).toBe('Pod MTU Change');
    expect(record?.handlers.map((h) => `${h.handler}${h.revert ? ' (revert)' : ''}${h.error ? ' !' : ''}`)).toEqual([
      'pod-network',
      'service-nat !',
      'pod-network (revert)',
    ]);
    expect(network.handlerState('pod-network')).toBe(before);
    expect(network.southbound.transactions.length).toBe(commits);
    expect(appliedJson(network.southbound)[tapKey('shop', 'web-1')]?.mtu).toBe(DEFAULT_POD_MTU);
    // The reverted state is the one later events build on.
    await network.put(pod('web-3'));
    expect(appliedJson(network.southbound)[tapKey('shop', 'web-3')]?.mtu).toBe(DEFAULT_POD_MTU);
  });
});

describe('the agent around the handlers', () => {
  test('Shutdown passes through every handler, which leave the network in place', async () => {
    const network = await startNetwork([pod('web-1')]);
    await network.close();
    const last = network.kit.controller.eventHistory({ last: 1 })[0];
    expect(last?.name).toBe('Shutdown');
    expect(last?.handlers.map((h) => h.handler)).toEqual(['ipam', 'pod-network', 'service-nat']);
    expect(Object.keys(appliedJson(network.southbound))).toContain(tapKey('shop', 'web-1'));
  });

  test('verification mode finds the handlers\' internal data stable across resyncs', async () => {
    const network = await rig([pod('web-1'), serviceObject('web', 'shop', '10.96.0.10', [{ name: 'http', port: 80 }])], {}, { enableVerification: true });
    await network.put(pod('web-2'));
    await network.put(endpointsObject('web', 'shop', ['10.1.1.2'], [{ name: 'http', port: 80 }]));
    await waitFor(() => network.kit.controller.eventHistory().filter((r) => r.name === 'Verification Resync').length >= 3, 'the verification resyncs');
    const errors = network.kit.controller.eventHistory().flatMap((r) => r.handlers.filter((h) => h.error).map((h) => `#${r.seqNum} ${h.handler}: ${h.error}`));
    expect(errors).toEqual([]);
  });

  test('NETWORK_DEPENDENCY_RULES: ARP needs its TAP, a pod route its VRF table, a DNAT44 the NAT44 global settings', () => {
    const rules = new DependencyRules(NETWORK_DEPENDENCY_RULES);
    expect(rules.dependenciesOf(networkKeys.arp('tap-shop-web-1', '10.1.1.2'))).toEqual([networkKeys.interface('tap-shop-web-1')]);
    expect(rules.dependenciesOf(networkKeys.route(1, '10.1.1.2/32', '10.1.1.2'))).toEqual([networkKeys.vrfTable(1)]);
    expect(rules.dependenciesOf(networkKeys.route(0, '0.0.0.0/0', '192.168.1.1'))).toEqual([]);
    expect(rules.dependenciesOf(networkKeys.dnat44('shop-web'))).toEqual([networkKeys.nat44Global()]);
    expect(rules.dependenciesOf(networkKeys.interface('tap-shop-web-1'))).toEqual([]);
  });
});
