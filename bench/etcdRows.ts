/**
 * Row 7, family `etcd`: 10,000 pod writes into a real etcd until every pod is applied at the
 * southbound, through the agent path: `contivctl agent` (DB watcher on etcd, local mirror,
 * controller, example network handlers, gRPC client) in its own process, committing to the
 * reference southbound, which runs here so that its status changes can be watched. The baseline
 * is the time etcd takes to accept the same writes with no agent watching (a fresh etcd each time).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NETWORK_DEPENDENCY_RULES } from '../examples/network';
import { ARP_PREFIX, INTERFACE_PREFIX, ROUTE_PREFIX } from '../examples/network/keys';
import { EtcdStore } from '../src/dbwatcher/etcdStore';
import { KubeStateWriter } from '../src/dbwatcher/kubeStateWriter';
import { ResourceRegistry } from '../src/dbwatcher/registry';
import { packageRoot } from '../src/packageRoot';
import { SouthboundServer } from '../src/southbound/agent/server';
import { profileArgs } from './childTask';
import { silentLogger } from './controllerSetup';
import { startEtcd } from './etcdServer';
import { cpuMeter, type CpuUse } from './processCpu';
import { scaled, type Family, type FamilyResult, type RunSettings } from './report';
import { median, ms, range, ratio, thousands } from './stats';
import { BenchRunError } from './errors';

const PODS = 10_000;
/** Puts in flight at once, as a busy writer (the Kubernetes state reflector) keeps them. */
const CONCURRENCY = 64;
const TARGET_RATIO = 1.2;
const DEFAULT_REPS = 3;
const TIMEOUT_MS = 300_000;

/** Writes the pods into a fresh etcd; resolves with the ms from the first put to the last answer. */
async function writePods(endpoint: string, pods: number): Promise<number> {
  const store = new EtcdStore({ endpoints: [endpoint] });
  const writer = new KubeStateWriter(store, ResourceRegistry.withBuiltins());
  try {
    let next = 0;
    const start = performance.now();
    const worker = async (): Promise<void> => {
      for (let i = next++; i < pods; i = next++) await writer.putResource('pod', { name: `pod-${i}`, namespace: `ns-${i % 100}` });
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return performance.now() - start;
  } finally {
    await store.close();
  }
}

/** One measured run: its wall time and the CPU time each process used meanwhile. */
interface BaselineRun {
  wallMs: number;
  cpu: CpuUse<'etcd'>;
}

interface AgentRun {
  /** Until etcd had accepted every write. */
  acceptedMs: number;
  /** Until every pod was applied at the southbound: the row's figure. */
  convergedMs: number;
  /** Until `convergedMs`. `self` is this process: the writer and the reference southbound. */
  cpu: CpuUse<'etcd' | 'agent'>;
}

async function baseline(pods: number): Promise<BaselineRun> {
  const etcd = await startEtcd();
  try {
    const meter = cpuMeter({ etcd: etcd.pid });
    const wallMs = await writePods(etcd.endpoint, pods);
    return { wallMs, cpu: meter() };
  } finally {
    await etcd.stop();
  }
}

/**
 * Resolves once `count` distinct keys under `prefixes` are CONFIGURED at the southbound, with the
 * time it happened; `cancel` stops watching (the run failed before).
 */
function configured(server: SouthboundServer, prefixes: string[], count: number): { at: Promise<number>; cancel(): void } {
  const seen = new Set<string>();
  let stop = (): void => {};
  const at = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new BenchRunError(`${seen.size} of ${count} pod values applied within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    const subscription = server.engine.statusChanges$.subscribe((status) => {
      if (status.state !== 'CONFIGURED' || !prefixes.some((p) => status.key.startsWith(p))) return;
      seen.add(status.key);
      if (seen.size < count) return;
      stop();
      resolve(performance.now());
    });
    stop = () => {
      clearTimeout(timer);
      subscription.unsubscribe();
    };
  });
  return { at, cancel: () => stop() };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new BenchRunError(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The agent path: writes into a fresh etcd that an agent watches; the time until the southbound has every pod. */
async function agentRun(pods: number): Promise<AgentRun> {
  // Each server is stopped whatever fails after it started: a leaked one keeps the bench alive.
  const etcd = await startEtcd();
  try {
    const server = await SouthboundServer.start({ listen: '127.0.0.1:0', engineOptions: { dependencyRules: NETWORK_DEPENDENCY_RULES }, logger: silentLogger });
    try {
      return await withAgent(etcd.endpoint, etcd.pid, server, pods);
    } finally {
      await server.stop();
    }
  } finally {
    await etcd.stop();
  }
}

/** Starts the agent on `endpoint`, committing to `server`, writes the pods and stops the agent. */
async function withAgent(endpoint: string, etcdPid: number | undefined, server: SouthboundServer, pods: number): Promise<AgentRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-agent-'));
  const root = packageRoot();
  const args = [...profileArgs(), join(root, 'dist', 'src', 'cli', 'main.js'), 'agent', '--etcd-endpoints', endpoint, '--southbound', server.address];
  args.push('--handlers', join(root, 'dist', 'bench', 'etcdAgentHandlers.js'), '--data-dir', dataDir, '--rest-port', '0', '--log-level', 'warn');
  const agent = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  agent.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => agent.once('exit', () => resolve()));
  try {
    // Its startup resync (of the empty state) reached the southbound: the agent is up.
    await until(() => server.engine.recordedTxns().length > 0 || agent.exitCode !== null, 'the agent\'s startup resync');
    if (agent.exitCode !== null) throw new BenchRunError(`the agent exited with code ${agent.exitCode}: ${stderr}`);
    const applied = configured(server, [INTERFACE_PREFIX, ARP_PREFIX, ROUTE_PREFIX], 3 * pods);
    try {
      const meter = cpuMeter({ etcd: etcdPid, agent: agent.pid });
      const start = performance.now();
      const acceptedMs = await writePods(endpoint, pods);
      const convergedMs = (await applied.at) - start;
      return { acceptedMs, convergedMs, cpu: meter() };
    } finally {
      applied.cancel();
    }
  } finally {
    agent.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fmt = (value: number): string => ms(value);

async function run(settings: RunSettings): Promise<FamilyResult> {
  const reps = settings.reps ?? DEFAULT_REPS;
  const pods = scaled(PODS, settings);
  const baselines: BaselineRun[] = [];
  const agentRuns: AgentRun[] = [];
  for (let rep = 1; rep <= reps; rep++) {
    baselines.push(await baseline(pods));
    agentRuns.push(await agentRun(pods));
    settings.log(`etcd: repetition ${rep}/${reps} done`);
  }
  const accepted = baselines.map((b) => b.wallMs);
  const converged = agentRuns.map((r) => r.convergedMs);
  const base = median(accepted);
  return {
    rows: [
      { name: `baseline: etcd accepts ${thousands(pods)} pod writes (${CONCURRENCY} in flight, no agent)`, figure: fmt(base), range: range(accepted, fmt) },
      {
        name: `${thousands(pods)} pod writes → every pod applied at the southbound (agent path)`,
        figure: fmt(median(converged)),
        range: range(converged, fmt),
        baseline: `etcd alone ${fmt(base)}`,
        ratio: ratio(median(converged) / base),
        target: `≤ ${TARGET_RATIO.toFixed(1)}× baseline`,
        met: median(converged) <= TARGET_RATIO * base,
      },
    ],
    notes: [
      `Applied = the pod's TAP interface, ARP entry and route CONFIGURED at the reference southbound (${thousands(3 * pods)} values). The agent (its own process, default settings but \`--log-level warn\`) started on the empty etcd before the clock; a fresh etcd for every run; ${reps} repetitions.`,
      `While the agent watched, etcd accepted the writes in ${fmt(median(agentRuns.map((r) => r.acceptedMs)))} (median).`,
      ...cpuNotes(baselines, agentRuns, pods),
    ],
  };
}

const seconds = (value: number | undefined): string => (value === undefined ? 'n/a' : `${value.toFixed(2)} s`);

/** The median of a process's CPU seconds over the runs, undefined when some run could not read it. */
function medianCpu(values: readonly (number | undefined)[]): number | undefined {
  return values.every((v): v is number => v !== undefined) ? median(values) : undefined;
}

/**
 * Where the time goes: the CPU each process used while the clock ran, against the cores of the
 * machine. The writer (this process) is busy during the baseline already; with the agent, three
 * processes share the cores, so what the agent spends per pod shows in the ratio.
 */
function cpuNotes(baselines: readonly BaselineRun[], agentRuns: readonly AgentRun[], pods: number): string[] {
  const cores = availableParallelism();
  const busy = (total: number | undefined, wallMs: number): string => (total === undefined ? 'n/a' : `${(total / (wallMs / 1000)).toFixed(2)} of ${cores} cores busy`);
  const base = { self: median(baselines.map((b) => b.cpu.self)), etcd: medianCpu(baselines.map((b) => b.cpu.etcd)), wallMs: median(baselines.map((b) => b.wallMs)) };
  const withAgent = {
    self: median(agentRuns.map((r) => r.cpu.self)),
    etcd: medianCpu(agentRuns.map((r) => r.cpu.etcd)),
    agent: medianCpu(agentRuns.map((r) => r.cpu.agent)),
    wallMs: median(agentRuns.map((r) => r.convergedMs)),
  };
  const baseTotal = base.etcd === undefined ? undefined : base.self + base.etcd;
  const agentTotal = withAgent.etcd === undefined || withAgent.agent === undefined ? undefined : withAgent.self + withAgent.etcd + withAgent.agent;
  return [
    `CPU time while the clock ran (medians): baseline: the writer (the bench's process, etcd3 client) ${seconds(base.self)}, etcd ${seconds(base.etcd)} in ${fmt(base.wallMs)}: ${busy(baseTotal, base.wallMs)}. Agent path: the bench's process (the writer and the reference southbound) ${seconds(withAgent.self)}, etcd ${seconds(withAgent.etcd)}, the agent ${seconds(withAgent.agent)}${withAgent.agent === undefined ? '' : ` (${Math.round((withAgent.agent * 1e6) / pods)} µs per pod)`} in ${fmt(withAgent.wallMs)}: ${busy(agentTotal, withAgent.wallMs)}.`,
  ];
}

export const etcdFamily: Family = { name: 'etcd', title: 'pod writes into etcd until applied at the southbound', run };
