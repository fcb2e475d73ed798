/**
 * A seeded chaos run of the real agent process (`contivctl agent`, the example network handlers)
 * in its environment: a real etcd that is SIGKILLed, restarted and compacted, the reference
 * southbound restarted or left unreachable for a while, the agent's data dir (its local mirror)
 * on a tiny tmpfs that fills up (when the run may mount one: that step is skipped otherwise, the
 * rest of the run is not), and floods of writes. After quiescence: the agent is still running,
 * never crashed, exits 0 on SIGTERM, and the southbound holds exactly what the same handlers
 * derive from etcd's final content.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { createController } from '../../src/controller';
import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { openDbWatcher } from '../../src/dbwatcher/openDbWatcher';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { AnyCodec } from '../../src/southbound/grpc/anyCodec';
import { InMemorySouthbound } from '../../src/southbound/memory';
import { NETWORK_DEPENDENCY_RULES, createNetworkHandlers, networkResourceRegistry, networkTypes } from '../../examples/network';
import { CliProcess } from '../cli/cliProcess';
import { EtcdTestServer } from '../support/etcd';

const POD_NAMES = Array.from({ length: 24 }, (_, i) => `p${i}`);
/** Flood pods cycle over this many names: with the others, well within the node's /24 of pod addresses. */
const FLOOD_PODS = 150;

/**
 * Each pod carries its address, as pods of a real cluster do (the CNI sets it, the reflector writes
 * it back): the IPAM example takes a pod's own address when it is free, so what the agent built
 * event by event and what a fresh controller derives from the final content agree.
 */
function podObject(name: string): Record<string, unknown> {
  const index = name.startsWith('flood') ? 60 + Number(name.slice(5)) : 10 + Number(name.slice(1));
  return { name, namespace: 'default', ipAddress: `10.1.1.${index}` };
}
const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type AgentChaosAction =
  | { kind: 'put pod' | 'delete pod'; pod: string }
  | { kind: 'kill etcd'; downForMs: number }
  | { kind: 'compact etcd' }
  | { kind: 'restart southbound'; downForMs: number }
  | { kind: 'fill disk' | 'free disk' }
  | { kind: 'flood'; pods: number }
  | { kind: 'pause'; ms: number };

const pod = fc.constantFrom(...POD_NAMES);
const agentChaosAction: fc.Arbitrary<AgentChaosAction> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('put pod' as const), pod }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('delete pod' as const), pod }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('kill etcd' as const), downForMs: fc.integer({ min: 100, max: 2000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact etcd' as const) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('restart southbound' as const), downForMs: fc.oneof(fc.constant(0), fc.integer({ min: 300, max: 2500 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fill disk' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('free disk' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flood' as const), pods: fc.integer({ min: 200, max: 1500 }) }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 20, max: 400 }) }) },
);

/** The actions of a run: the same seed gives the same plan. */
export function agentChaosPlan(seed: number, steps: number): AgentChaosAction[] {
  return fc.sample(fc.array(agentChaosAction, { minLength: steps, maxLength: steps }), { seed, numRuns: 1 })[0];
}

export interface AgentChaosReport {
  seed: number;
  steps: number;
  actions: Record<string, number>;
  /** False when the run could not mount a tmpfs: the disk steps were skipped (the rest ran). */
  diskStepsRan: boolean;
  /** Keys where the southbound differs from what the handlers derive from etcd (empty = converged). */
  differences: string[];
  /** The agent exited before the end of the run. */
  crashed?: string;
  /** Exit status after SIGTERM at the end. */
  exit?: { code: number | null; signal: string | null };
  /** Lines of the agent's output that tell of a crash in the making (uncaught errors, unhandled rejections). */
  alarms: string[];
  elapsedMs: number;
}

const codec = new AnyCodec(networkTypes);
const packed = (value: { type_url: string; value: Uint8Array }): string => `${value.type_url} ${Buffer.from(value.value).toString('base64')}`;

function southboundApplied(server: SouthboundServer): Map<string, string> {
  return new Map(server.engine.dump().flatMap((key) => (key.applied ? [[key.key, packed(key.applied)] as const] : [])));
}

/** What the network handlers derive from etcd's content: a fresh controller on an in-memory southbound, fed by its own DB watcher. */
async function derive(etcdEndpoint: string, dataDir: string): Promise<Map<string, string>> {
  const memory = new InMemorySouthbound();
  const controller = createController({ handlers: createNetworkHandlers(), southbound: memory, logger: silent });
  let db: ReturnType<typeof openDbWatcher> | undefined;
  try {
    await controller.start();
    db = openDbWatcher({ eventLoop: controller, agentLabel: 'vpp1', logger: silent, dataDir, etcdEndpoints: [etcdEndpoint], registry: networkResourceRegistry() });
    db.watcher.start();
    const deadline = Date.now() + 60_000;
    while (!controller.health().ready || controller.health().state !== 'idle' || controller.queueDepths().main > 0) {
      if (Date.now() > deadline) throw new Error(`the reference controller did not get ready: ${JSON.stringify(controller.health())}`);
      await sleep(50);
    }
    return new Map([...memory.applied].map(([key, value]) => [key, packed(codec.pack(key, value))]));
  } finally {
    await controller.close();
    await db?.close();
  }
}

function compare(expected: Map<string, string>, actual: Map<string, string>): string[] {
  const differences: string[] = [];
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    if (expected.get(key) !== actual.get(key)) differences.push(`${key}: ${expected.has(key) ? 'expected' : 'not expected'}, ${actual.has(key) ? 'present' : 'missing'} at the southbound`);
  }
  return differences.sort();
}

/** A small tmpfs for the agent's data dir, when this process may mount one. */
function mountTmpfs(path: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', path], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

export async function runAgentChaos(options: { seed: number; steps: number; log?: (line: string) => void }): Promise<AgentChaosReport> {
  const began = Date.now();
  const log = options.log ?? (() => undefined);
  const actions: Record<string, number> = {};
  const dir = mkdtempSync(join(tmpdir(), 'agent-chaos-'));
  const dataDir = join(dir, 'agent');
  mkdirSync(dataDir);
  const diskStepsRan = mountTmpfs(dataDir);
  if (!diskStepsRan) log('cannot mount a tmpfs here: the disk-full steps are skipped, the rest runs');
  const fillers: string[] = [];

  const etcd = await EtcdTestServer.start();
  let southbound = await SouthboundServer.start({ listen: '127.0.0.1:0', logger: silent, engineOptions: { dependencyRules: [...NETWORK_DEPENDENCY_RULES] } });
  const address = southbound.address;
  const writerStore = new EtcdStore({ endpoints: [etcd.endpoint] });
  const writer = new KubeStateWriter(writerStore, networkResourceRegistry());
  let agent: CliProcess | undefined;
  const failed = (what: string) => () => {
    actions[`${what} failed`] = (actions[`${what} failed`] ?? 0) + 1;
  };

  const restartSouthbound = async (downForMs: number): Promise<void> => {
    await southbound.stop();
    if (downForMs > 0) await sleep(downForMs);
    southbound = await SouthboundServer.start({ listen: address, logger: silent, engineOptions: { dependencyRules: [...NETWORK_DEPENDENCY_RULES] } });
  };
  const freeDisk = (): void => {
    for (const filler of fillers.splice(0)) rmSync(filler, { force: true });
  };
  const fillDisk = (): void => {
    const free = () => Number(statfsSync(dataDir).bavail) * Number(statfsSync(dataDir).bsize);
    for (let i = fillers.length; free() > 0 && i < fillers.length + 4096; i++) {
      const filler = join(dataDir, `filler-${i}`);
      try {
        writeFileSync(filler, Buffer.alloc(Math.max(1, Math.min(free(), 1 << 20))));
      } catch {
        break;
      }
      fillers.push(filler);
    }
  };

  const run = async (action: AgentChaosAction): Promise<void> => {
    switch (action.kind) {
      case 'put pod':
        return writer.putResource('pod', podObject(action.pod)).then(() => undefined, failed(action.kind));
      case 'delete pod':
        return writer.deleteResource('pod', action.pod, 'default').then(() => undefined, failed(action.kind));
      case 'kill etcd':
        await etcd.kill();
        await sleep(action.downForMs);
        return etcd.restart();
      case 'compact etcd': {
        const revision = await writerStore.get('/vnf-agent/contiv-ksr/k8s/namespace/default').then((entry) => entry?.modRevision, () => undefined);
        const latest = await writer.putResource('namespace', { name: 'default' }).then((r) => r.revision, () => revision);
        if (latest !== undefined) await writerStore.compact(latest).catch(failed(action.kind));
        return;
      }
      case 'restart southbound':
        return restartSouthbound(action.downForMs);
      case 'fill disk':
        if (diskStepsRan) fillDisk();
        return;
      case 'free disk':
        freeDisk();
        return;
      case 'flood': {
        // Many writes at once: the watcher's changes queue up in the agent (floods its queue).
        const names = Array.from({ length: action.pods }, (_, i) => `flood${i % FLOOD_PODS}`);
        for (let i = 0; i < names.length; i += 50) {
          await Promise.all(names.slice(i, i + 50).map((name) => writer.putResource('pod', podObject(name)).catch(failed(action.kind))));
        }
        return;
      }
      case 'pause':
        return sleep(action.ms);
    }
  };

  try {
    await writer.putResource('namespace', { name: 'default' });
    agent = new CliProcess([
      'agent', '--etcd-endpoints', etcd.endpoint, '--southbound', address, '--rest-port', '0', '--data-dir', dataDir,
      '--controller-delay-after-error-healing', '200', '--controller-max-healing-backoff', '2000', '--controller-delay-retry', '100',
      '--controller-remote-db-probing-interval', '300', '--controller-delay-local-resync', '1000', '--shutdown-timeout', '20000',
    ]);
    await agent.restUrl();
    for (const [index, action] of agentChaosPlan(options.seed, options.steps).entries()) {
      actions[action.kind] = (actions[action.kind] ?? 0) + 1;
      await run(action);
      if (!agent.running) break;
      if ((index + 1) % 50 === 0) log(`step ${index + 1}/${options.steps}`);
    }

    // Quiescence: every fault is lifted; the agent must converge by itself.
    freeDisk();
    if (!etcd.running) await etcd.restart();
    log('quiescence: waiting for convergence');
    const expected = await derive(etcd.endpoint, join(dir, 'reference'));
    let differences = compare(expected, southboundApplied(southbound));
    const deadline = Date.now() + 120_000;
    while (differences.length > 0 && agent.running && Date.now() < deadline) {
      await sleep(250);
      differences = compare(expected, southboundApplied(southbound));
    }
    const crashed = agent.running ? undefined : `exited early: ${JSON.stringify(await agent.exited)}`;
    agent.signal('SIGTERM');
    const exit = await agent.exited;
    const alarms = `${agent.stdout}\n${agent.stderr}`.split('\n').filter((line) => /uncaught|unhandled|ClientRuntimeError|Failed to find watcher|SIGSEGV|SIGBUS/i.test(line)).slice(0, 10);
    return {
      seed: options.seed,
      steps: options.steps,
      actions,
      diskStepsRan,
      differences: differences.slice(0, 20),
      ...(crashed && { crashed }),
      exit,
      alarms,
      elapsedMs: Date.now() - began,
    };
  } finally {
    await agent?.stop();
    freeDisk();
    await writerStore.close();
    await southbound.stop();
    await etcd.stop();
    if (diskStepsRan) {
      try {
        execFileSync('umount', [dataDir], { stdio: 'pipe' });
      } catch {
        // already unmounted
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
