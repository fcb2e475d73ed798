import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createController, type Controller } from '../../src/controller';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { openDbWatcher, type OpenedDbWatcher } from '../../src/dbwatcher/openDbWatcher';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { SouthboundAdminClient } from '../../src/southbound/grpc/adminClient';
import { GrpcSouthbound } from '../../src/southbound/grpc/client';
import { NETWORK_DEPENDENCY_RULES, createNetworkHandlers, networkKeys, networkResourceRegistry, networkTypes } from '../../examples/network';
import { SCENARIO, runScenario } from '../../examples/network/scenario';
import { waitFor } from '../support/waitFor';

const silent = () => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Idle = nothing queued and no event in flight, twice in a row (an event may be between the two). */
async function waitForIdle(controller: Controller): Promise<void> {
  const idle = () => {
    const depths = controller.queueDepths();
    return controller.health().state === 'idle' && depths.main + depths.followUp + depths.delayed === 0;
  };
  for (let calm = 0; calm < 2; ) {
    await waitFor(idle, 'the controller to be idle');
    await new Promise((resolve) => setTimeout(resolve, 10));
    calm = idle() ? calm + 1 : 0;
  }
}

describe('the demo scenario against the reference southbound over gRPC and a DB watcher on LMDB', () => {
  let dataDir: string;
  let server: SouthboundServer;
  let southbound: GrpcSouthbound;
  let admin: SouthboundAdminClient;
  let controller: Controller;
  let db: OpenedDbWatcher;
  const lines: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'network-scenario-'));
    server = await SouthboundServer.start({ listen: '127.0.0.1:0', engineOptions: { dependencyRules: NETWORK_DEPENDENCY_RULES }, logger: silent() });
    southbound = new GrpcSouthbound({ address: server.address, types: networkTypes, logger: silent() });
    admin = new SouthboundAdminClient({ address: server.address });
    // Retry well before the healing resync, so that the southbound's retry is what configures the failed TAP.
    controller = createController({
      handlers: createNetworkHandlers(),
      southbound,
      logger: silent(),
      config: { delayRetry: 100, delayAfterErrorHealing: 1500 },
    });
    await controller.start();
    const registry = networkResourceRegistry();
    db = openDbWatcher({ eventLoop: controller, agentLabel: 'vpp1', logger: silent(), dataDir, registry, remoteDBProbingInterval: 200 });
    db.watcher.start();
    await runScenario({
      writer: new KubeStateWriter(db.store, registry),
      agentLabel: 'vpp1',
      controller,
      southboundAdmin: admin,
      log: (line) => lines.push(line),
      waitForIdle: () => waitForIdle(controller),
    });
  });

  afterAll(async () => {
    if (process.env.SHOW_SCENARIO) console.log(lines.join('\n'));
    await controller?.close();
    await db?.close();
    await southbound?.close();
    admin?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('the southbound ends with every value CONFIGURED: the pods\' TAP, ARP and route, the VRF, the NAT and the service\'s DNAT44', async () => {
    const state = await southbound.dumpState();
    expect(state.filter((key) => key.state !== 'CONFIGURED').map((key) => `${key.key}: ${key.state} ${key.error ?? ''}`)).toEqual([]);
    const applied = Object.fromEntries(state.map((key) => [key.key, southbound.unpack(key.applied)?.toJSON() as Record<string, unknown>]));
    const podKeys = (ns: string, name: string, ip: string) => [
      networkKeys.interface(`tap-${ns}-${name}`),
      networkKeys.arp(`tap-${ns}-${name}`, ip),
      networkKeys.route(1, `${ip}/32`, ip),
    ];
    // web-1, web-2, client-1 took .2 .. .4 in that order; client-2 got the lowest free one (.5); client-1 was deleted.
    expect(Object.keys(applied).sort()).toEqual(
      [
        networkKeys.vrfTable(1),
        networkKeys.nat44Global(),
        networkKeys.dnat44('shop-web'),
        ...podKeys('shop', 'web-1', '10.1.1.2'),
        ...podKeys('shop', 'web-2', '10.1.1.3'),
        ...podKeys('default', 'client-2', '10.1.1.5'),
      ].sort(),
    );
    // External config (MTU 1400) wins over the handler's value; the others took the accepted MTU, not the refused one.
    expect(applied[networkKeys.interface('tap-shop-web-1')]?.mtu).toBe(SCENARIO.externalMtu);
    expect(applied[networkKeys.interface('tap-shop-web-2')]?.mtu).toBe(SCENARIO.acceptedMtu);
    expect(applied[networkKeys.interface('tap-default-client-2')]?.mtu).toBe(SCENARIO.acceptedMtu);
    expect(JSON.stringify(applied[networkKeys.dnat44('shop-web')])).toContain('"externalIp":"10.96.0.10","externalPort":80');
    expect(applied[networkKeys.dnat44('shop-web')]?.stMappings).toEqual([
      expect.objectContaining({
        localIps: [
          { vrfId: 1, localIp: '10.1.1.2', localPort: 8080, probability: 1 },
          { vrfId: 1, localIp: '10.1.1.3', localPort: 8080, probability: 1 },
        ],
      }),
    ]);
  });

  test('the failed TAP was configured by the southbound\'s own retry', () => {
    const tap = networkKeys.interface('tap-default-client-2');
    const retries = server.engine.recordedTxns().filter((txn) => txn.txnType === 'retry' && txn.executed.some((op) => op.key === tap && !op.error));
    expect(retries.length).toBeGreaterThanOrEqual(1);
    // Its ARP entry, PENDING while the TAP was missing, was created in the same retry.
    expect(retries[0]?.executed.map((op) => op.key)).toEqual(expect.arrayContaining([tap, networkKeys.arp('tap-default-client-2', '10.1.1.5')]));
  });

  test('the history shows the scenario: resync, changes, external config, a failed commit healed, a reverted RevertOnFailure event, a Reverse delete', () => {
    const history = controller.eventHistory();
    const names = history.map((record) => record.name);
    expect(names[0]).toBe('Database Resync');
    for (const name of ['Kubernetes State Change', 'External Config Change', 'Healing Resync', 'Pod MTU Change']) expect(names).toContain(name);

    const failed = history.find((r) => r.txnError?.includes('injected: TAP creation failed'));
    expect(failed?.description).toContain('k8s/pod/client-2/namespace/default');
    const healing = history.find((r) => r.name === 'Healing Resync');
    expect(healing?.seqNum).toBeGreaterThan(failed?.seqNum ?? Infinity);
    expect(healing?.txnError).toBeUndefined();

    const mtuChanges = history.filter((r) => r.name === 'Pod MTU Change');
    expect(mtuChanges.map((r) => r.handlers.map((h) => `${h.handler}${h.revert ? ' (revert)' : ''}${h.error ? ' !' : ''}`))).toEqual([
      ['pod-network', 'service-nat'],
      ['pod-network', 'service-nat !', 'pod-network (revert)'],
    ]);

    const deleted = history.find((r) => r.description.includes('* key: k8s/pod/client-1/namespace/default') && r.description.includes('newValue: nil'));
    expect(deleted?.handlers.map((h) => h.handler)).toEqual(['pod-network', 'ipam']);
    expect(controller.health()).toMatchObject({ ready: true, live: true });
  });

  test('the scenario printed what each step showed', () => {
    const text = lines.join('\n');
    expect(text).toContain('=== startup resync ===');
    expect(text).toContain(`"mtu":${SCENARIO.externalMtu}`);
    expect(text).toContain('failed in the southbound; the southbound keeps the TAP RETRYING');
    expect(text).toMatch(/healing resync #\d+ succeeded/);
    expect(text).toContain(`refused: service NAT cannot translate frames of MTU ${SCENARIO.refusedMtu}`);
    expect(text).toContain('scenario done');
  });
});
