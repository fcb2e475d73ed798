import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createController, type Controller } from '../../src/controller';
import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { openDbWatcher, type OpenedDbWatcher } from '../../src/dbwatcher/openDbWatcher';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { AnyCodec } from '../../src/southbound/grpc/anyCodec';
import { InMemorySouthbound } from '../../src/southbound/memory';
import { NETWORK_DEPENDENCY_RULES, createNetworkHandlers, networkKeys, networkResourceRegistry, networkTypes, podTapName, serviceLabel } from '../../examples/network';
import { EtcdTestServer } from '../support/etcd';
import { CliProcess, processAlive } from './cliProcess';

/**
 * `contivctl agent` against a real etcd and the reference southbound: what the southbound ends up
 * with equals what the same handlers derive in-process (on an InMemorySouthbound, fed by their
 * own DB watcher on the same etcd) from what the test wrote.
 */

let etcd: EtcdTestServer;
let southbound: SouthboundServer;
let writerStore: EtcdStore;
let writer: KubeStateWriter;
let dir: string;
let agent: CliProcess | undefined;
let reference: { controller: Controller; southbound: InMemorySouthbound; db: OpenedDbWatcher } | undefined;

const codec = new AnyCodec(networkTypes);
const packed = (typeUrl: string, value: Uint8Array): string => `${typeUrl} ${Buffer.from(value).toString('base64')}`;

beforeAll(async () => {
  etcd = await EtcdTestServer.start();
  southbound = await SouthboundServer.start({ listen: '127.0.0.1:0', engineOptions: { dependencyRules: [...NETWORK_DEPENDENCY_RULES] } });
  writerStore = new EtcdStore({ endpoints: [etcd.endpoint] });
  writer = new KubeStateWriter(writerStore, networkResourceRegistry());
  dir = mkdtempSync(join(tmpdir(), 'cli-agent-test-'));
});

afterAll(async () => {
  await agent?.stop();
  if (reference) {
    await reference.controller.close();
    await reference.db.close();
  }
  await writerStore?.close();
  await southbound?.stop();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startReference(): Promise<NonNullable<typeof reference>> {
  const logger = pino({ level: 'silent' });
  const memory = new InMemorySouthbound();
  const controller = createController({ handlers: createNetworkHandlers(), southbound: memory, logger });
  await controller.start();
  const db = openDbWatcher({ eventLoop: controller, agentLabel: 'vpp1', logger, dataDir: join(dir, 'reference'), etcdEndpoints: [etcd.endpoint], registry: networkResourceRegistry() });
  db.watcher.start();
  return { controller, southbound: memory, db };
}

/** The values the reference southbound applied (CONFIGURED), packed. */
function agentApplied(): Map<string, string> {
  return new Map(southbound.engine.dump().flatMap((key) => (key.applied ? [[key.key, packed(key.applied.type_url, key.applied.value)] as const] : [])));
}

function referenceApplied(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, message] of reference?.southbound.applied ?? []) {
    const value = codec.pack(key, message);
    out.set(key, packed(value.type_url, value.value));
  }
  return out;
}

async function eventually(check: () => void | Promise<void>, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

test('agent converges on etcd through the reference southbound, and SIGTERM shuts it down cleanly', async () => {
  await writer.putResource('namespace', { name: 'default' });
  for (const name of ['p1', 'p2']) await writer.putResource('pod', { name, namespace: 'default' });

  const historyFile = join(dir, 'history.json');
  reference = await startReference();
  agent = new CliProcess(
    ['agent', '--etcd-endpoints', etcd.endpoint, '--southbound', southbound.address, '--rest-port', '0', '--data-dir', join(dir, 'agent'), '--history-out', historyFile],
    // Settings from the environment too.
    { CONTIVCTL_AGENT_LABEL: 'vpp1', CONTIVCTL_CONTROLLER_DELAY_RETRY: '100' },
  );
  const restUrl = await agent.restUrl();
  await eventually(async () => expect((await fetch(`${restUrl}/readyz`)).status).toBe(200), 'the agent to be ready');
  await eventually(() => expect(reference?.controller.health().ready).toBe(true), 'the reference to be ready');
  await eventually(() => {
    expect(agentApplied().has(networkKeys.interface(podTapName('default', 'p1')))).toBe(true);
    expect(agentApplied()).toEqual(referenceApplied());
  }, 'the startup resync to converge');

  // Changes after the start: a pod added, a service with endpoints, a pod deleted, external config.
  await writer.putResource('pod', { name: 'p3', namespace: 'default' });
  await writer.putResource('service', {
    name: 'web',
    namespace: 'default',
    clusterIp: '10.96.0.10',
    port: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: { intVal: 8080 } }],
  });
  await writer.putResource('endpoints', {
    name: 'web',
    namespace: 'default',
    endpointSubsets: [{ addresses: [{ ip: '10.1.1.2', nodeName: 'node-1' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
  });
  await writer.deleteResource('pod', 'p1', 'default');
  const p2Tap = networkKeys.interface(podTapName('default', 'p2'));
  await writer.putExternalConfig('vpp1', p2Tap, { mtu: 1400 });

  await eventually(() => {
    const applied = agentApplied();
    expect(applied).toEqual(referenceApplied());
    expect(applied.has(networkKeys.interface(podTapName('default', 'p3')))).toBe(true);
    expect(applied.has(networkKeys.interface(podTapName('default', 'p1')))).toBe(false);
    expect(applied.has(networkKeys.dnat44(serviceLabel('default', 'web')))).toBe(true);
    expect(codec.unpack(southbound.engine.dump(p2Tap)[0]?.applied ?? { type_url: '', value: new Uint8Array() })?.toJSON()).toMatchObject({ mtu: 1400 });
  }, 'the changes to converge');
  expect(southbound.engine.dump().every((key) => key.state === 'CONFIGURED')).toBe(true);

  // The metrics count what happened.
  const metrics = await (await fetch(`${restUrl}/metrics`)).text();
  const processed = [...metrics.matchAll(/^contiv_controller_events_processed_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  const historyNow = (await (await fetch(`${restUrl}/controller/event-history`)).json()) as unknown[];
  expect(processed).toBe(historyNow.length);

  agent.signal('SIGTERM');
  const { code, signal } = await agent.exited;
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(processAlive(agent.pid)).toBe(false);
  const history = JSON.parse(readFileSync(historyFile, 'utf8')) as { name: string; handlers: { handler: string }[] }[];
  const last = history[history.length - 1];
  expect(last.name).toBe('Shutdown');
  expect(last.handlers.map((h) => h.handler)).toEqual(['ipam', 'pod-network', 'service-nat']);
  expect(agent.stdout).toMatch(/"msg":"agent stopped"/);
  expect(agent.stderr).toBe('');
});
