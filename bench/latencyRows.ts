/**
 * Row 6, family `latency`: a steady 2,000 pod changes per second for 10 s into a controller that
 * commits over gRPC (bench/latencyTask.ts), push → done p50, p99 and max; the baseline is the same
 * stream into the in-memory southbound, measured in the same run.
 */
import { runTask } from './childTask';
import type { LatencyInput, LatencyOutput } from './latencyTask';
import { scaled, type Family, type FamilyResult, type RunSettings } from './report';
import { median, ms, range, ratio, thousands } from './stats';

const PER_SECOND = 2000;
const SECONDS = 10;
const WARMUP_SECONDS = 1;
const TARGET_P99_MS = 5;
const DEFAULT_REPS = 2;


const fmt = (value: number): string => ms(value, 2);

/** "1,234 ms (62 µs per event)": the median CPU time of the runs, whole and per event. */
function cpuPerEvent(runs: readonly LatencyOutput[]): string {
  const cpuMs = median(runs.map((o) => o.cpuMs));
  return `${thousands(cpuMs)} ms (${Math.round((cpuMs * 1000) / (runs[0]?.count || 1))} µs per event)`;
}

async function run(settings: RunSettings): Promise<FamilyResult> {
  const reps = settings.reps ?? DEFAULT_REPS;
  const seconds = scaled(SECONDS, settings);
  const warmupSeconds = scaled(WARMUP_SECONDS, settings);
  const measure = async (southbound: LatencyInput['southbound']): Promise<LatencyOutput> =>
    (await runTask<LatencyInput, LatencyOutput>('latencyTask', { southbound, perSecond: PER_SECOND, seconds, warmupSeconds })).result;
  const grpc: LatencyOutput[] = [];
  const memory: LatencyOutput[] = [];
  for (let rep = 1; rep <= reps; rep++) {
    grpc.push(await measure('grpc'));
    memory.push(await measure('in-memory'));
    settings.log(`latency: repetition ${rep}/${reps} done`);
  }
  const of = (runs: LatencyOutput[], pick: (o: LatencyOutput) => number): number[] => runs.map(pick);
  const row = (name: string, pick: (o: LatencyOutput) => number, target?: number) => ({
    name: `over gRPC, push → done ${name}`,
    figure: fmt(median(of(grpc, pick))),
    range: range(of(grpc, pick), fmt),
    baseline: `in-memory ${fmt(median(of(memory, pick)))}`,
    ratio: ratio(median(of(grpc, pick)) / median(of(memory, pick))),
    ...(target !== undefined && { target: `≤ ${fmt(target)}`, met: median(of(grpc, pick)) <= target }),
  });
  return {
    rows: [row('p50', (o) => o.p50), row('p99', (o) => o.p99, TARGET_P99_MS), row('max', (o) => o.max)],
    notes: [
      `${thousands(PER_SECOND)} events/s for ${seconds} s after a ${warmupSeconds} s warm-up (${thousands(grpc[0]?.count ?? 0)} samples per run), default settings (coalescing on), each run in a fresh process; the reference southbound in its own process; ${reps} repetitions, medians of the per-run figures.`,
      `Rate achieved over gRPC: ${grpc.map((o) => thousands(o.achievedPerSecond)).join(', ')} events/s; failed events: ${grpc.reduce((n, o) => n + o.failed, 0)}.`,
      `CPU of the controller's process over the measured seconds (medians): over gRPC ${cpuPerEvent(grpc)}; in-memory ${cpuPerEvent(memory)}.`,
    ],
  };
}

export const latencyFamily: Family = { name: 'latency', title: 'steady stream over gRPC: push → done latency', run };
