/**
 * Row 5, family `resync`: a startup resync of a big cluster through the example network handlers,
 * committed as one FULL resync over gRPC (bench/resyncTask.ts, in a fresh process whose peak RSS
 * is read), beside the same resync into the in-memory southbound; the same at 5,000 / 10,000 /
 * 20,000 pods to show it scales linearly; and the 100,000-value FULL commit alone (bench/grpcRows.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NETWORK_DEPENDENCY_RULES } from '../examples/network';
import { peakRssOf, runTask, type TaskOutput } from './childTask';
import { fullCommitRows } from './grpcRows';
import { startSouthboundProcess } from './grpcSouthboundProcess';
import { clusterShape, type ClusterShape } from './networkState';
import { scaled, type Family, type FamilyResult, type RowResult, type RunSettings } from './report';
import type { ResyncInput, ResyncOutput } from './resyncTask';
import { median, mib, ms, range, ratio, thousands } from './stats';

const BIG_PODS = 100_000;
const SCALING_PODS = [5_000, 10_000, 20_000];
/** An untimed resync before each scaling run: the small ones would otherwise measure the JIT's warm-up. */
const SCALING_WARMUP_PODS = 2_000;
const TARGET_MS = 5000;
const TARGET_RSS_BYTES = 400 * 1048576;
/** Linear: the time per pod at the largest size stays within this factor of the smallest's. */
const LINEAR_FACTOR = 1.5;
const DEFAULT_REPS = 3;
/** Before the IPAM fix (O(n) per pod), for the notes. */
const BEFORE_FIX = '1.4 s / 9.9 s / 47 s';

interface Runs {
  wallMs: number[];
  cpuMs: number[];
  rss: number[];
  buildMs: number[];
  values: number;
}

const emptyRuns = (): Runs => ({ wallMs: [], cpuMs: [], rss: [], buildMs: [], values: 0 });

function add(runs: Runs, output: TaskOutput<ResyncOutput>): void {
  runs.wallMs.push(output.result.wallMs);
  runs.cpuMs.push(output.result.cpuMs);
  runs.rss.push(output.result.resyncPeakRssBytes);
  runs.buildMs.push(output.result.buildMs);
  runs.values = output.result.values;
}

const resync = (input: ResyncInput): Promise<TaskOutput<ResyncOutput>> => runTask<ResyncInput, ResyncOutput>('resyncTask', input, { timeoutMs: 600_000 });

/** The big resync over gRPC, with a fresh southbound (its own process, the network's dependency rules). */
async function overGrpc(shape: ClusterShape, rulesFile: string): Promise<{ output: TaskOutput<ResyncOutput>; southboundRss?: number }> {
  const southbound = await startSouthboundProcess(['--rules', rulesFile]);
  try {
    const output = await resync({ shape, southboundAddress: southbound.address });
    return { output, southboundRss: peakRssOf(southbound.pid) };
  } finally {
    await southbound.stop();
  }
}

const fmtMs = (value: number): string => ms(value);
const perPod = (runs: Runs, pods: number): number => (median(runs.wallMs) * 1000) / pods;

async function run(settings: RunSettings): Promise<FamilyResult> {
  const reps = settings.reps ?? DEFAULT_REPS;
  const big = clusterShape(scaled(BIG_PODS, settings));
  const scalingPods = SCALING_PODS.map((pods) => scaled(pods, settings));
  const scalingWarmupPods = scaled(SCALING_WARMUP_PODS, settings);
  const dir = mkdtempSync(join(tmpdir(), 'bench-resync-'));
  const rulesFile = join(dir, 'rules.json');
  writeFileSync(rulesFile, JSON.stringify(NETWORK_DEPENDENCY_RULES));
  const grpc = emptyRuns();
  const memory = emptyRuns();
  const scaling = scalingPods.map(() => emptyRuns());
  const southboundRss: number[] = [];
  try {
    for (let rep = 1; rep <= reps; rep++) {
      const { output, southboundRss: rss } = await overGrpc(big, rulesFile);
      add(grpc, output);
      if (rss !== undefined) southboundRss.push(rss);
      add(memory, await resync({ shape: big }));
      for (const [i, pods] of scalingPods.entries()) add(scaling[i], await resync({ shape: clusterShape(pods), warmupPods: scalingWarmupPods }));
      settings.log(`resync: repetition ${rep}/${reps} done`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bigName = `${thousands(big.pods)} pods, ${thousands(big.namespaces)} namespaces, ${thousands(big.services)} services`;
  const rows: RowResult[] = [
    { name: `baseline: resync of ${bigName} into the in-memory southbound`, figure: fmtMs(median(memory.wallMs)), range: range(memory.wallMs, fmtMs) },
    {
      name: `resync of ${bigName}: one FULL commit over gRPC, recorded txn included (push → done)`,
      figure: fmtMs(median(grpc.wallMs)),
      range: range(grpc.wallMs, fmtMs),
      baseline: `in-memory ${fmtMs(median(memory.wallMs))}`,
      ratio: ratio(median(grpc.wallMs) / median(memory.wallMs)),
      target: `≤ ${thousands(TARGET_MS)} ms`,
      met: median(grpc.wallMs) <= TARGET_MS,
    },
    {
      name: 'its peak RSS (controller process, when the resync is done)',
      figure: mib(Math.max(...grpc.rss)),
      range: range(grpc.rss, mib),
      baseline: `in-memory run ${mib(Math.max(...memory.rss))}`,
      ratio: ratio(Math.max(...grpc.rss) / Math.max(...memory.rss)),
      target: `≤ ${mib(TARGET_RSS_BYTES)}`,
      met: Math.max(...grpc.rss) <= TARGET_RSS_BYTES,
    },
  ];
  const smallest = perPod(scaling[0], scalingPods[0]);
  for (const [i, pods] of scalingPods.entries()) {
    const last = i === scalingPods.length - 1;
    rows.push({
      name: `resync of ${thousands(pods)} pods (same shape) into the in-memory southbound`,
      figure: `${fmtMs(median(scaling[i].wallMs))} (${perPod(scaling[i], pods).toFixed(1)} µs/pod)`,
      range: range(scaling[i].wallMs, fmtMs),
      ...(i > 0 && { baseline: `${thousands(scalingPods[0])} pods: ${smallest.toFixed(1)} µs/pod`, ratio: `${ratio(perPod(scaling[i], pods) / smallest)} per pod` }),
      ...(last && { target: `per pod ≤ ${LINEAR_FACTOR}× the ${thousands(scalingPods[0])}-pod figure (linear)`, met: perPod(scaling[i], pods) <= LINEAR_FACTOR * smallest }),
    });
  }
  rows.push(...(await fullCommitRows(reps, settings)));
  return {
    rows,
    notes: [
      `${reps} repetitions, each resync in a fresh process; building the DBResync's kube state (not timed) took ${fmtMs(median(grpc.buildMs))} for ${thousands(big.pods)} pods.`,
      `The FULL resync carried ${thousands(grpc.values)} values; process CPU of the resync over gRPC ${fmtMs(median(grpc.cpuMs))} (median); in-memory: ${fmtMs(median(memory.cpuMs))}.`,
      `Peak RSS of the reference southbound process (its own process, network dependency rules): ${southboundRss.length > 0 ? mib(Math.max(...southboundRss)) : 'not known on this platform'}.`,
      `Per pod in-memory at ${thousands(big.pods)} pods: ${perPod(memory, big.pods).toFixed(1)} µs. Before IPAM became O(log n) per pod, ${SCALING_PODS.map(thousands).join(' / ')} pods took ${BEFORE_FIX}.`,
    ],
  };
}

export const resyncFamily: Family = { name: 'resync', title: 'a big startup resync through the example network handlers', run };
