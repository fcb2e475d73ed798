import type { Measurement } from './report';
import { fullResyncValues, runEngineFullCommit, runGrpcFullCommit, runGrpcStrict, runMemoryStrict, type SouthboundPlace } from './grpcRuns';
import { benchUpdates } from './workload';

/** What the issue asks of the strict per-event row over gRPC. */
export const GRPC_STRICT_TARGET_PER_SECOND = 10_000;
/** ... and of the big FULL commit. */
export const FULL_COMMIT_TARGET_MS = 1000;
/** Values of the big FULL commit row. */
export const FULL_COMMIT_VALUES = 100_000;

function positiveInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** Events of the strict gRPC rows (and their baseline): fewer than the in-memory rows, each is a round trip. */
const GRPC_EVENTS = positiveInt('BENCH_GRPC_EVENTS', 20_000);

type Row = { measurement: Measurement; run(count: number): Promise<number> };

/**
 * The southbound rows of `npm run bench`: a controller committing each event over gRPC (the
 * reference southbound in this process, then in its own), and one big FULL commit, each beside a
 * baseline measured in the same run. `events` is the runner's count: the strict rows run
 * BENCH_GRPC_EVENTS per repetition, and their warm-up the same share of it.
 */
export function grpcRows(events: number): Row[] {
  const scaled = (count: number): number => Math.max(1, Math.round((count * GRPC_EVENTS) / events));
  const memoryStrict: Measurement = { name: 'baseline: controller + InMemorySouthbound, strict (3 handlers × 2 values)', events: GRPC_EVENTS, elapsedMs: [] };
  const engineFull: Measurement = {
    name: `baseline: SchedulerEngine in-process, ${FULL_COMMIT_VALUES.toLocaleString('en-US')}-value FULL (rate = values/s)`,
    events: FULL_COMMIT_VALUES,
    elapsedMs: [],
  };
  let values: ReturnType<typeof fullResyncValues> | undefined;
  const bigTxn = (): ReturnType<typeof fullResyncValues> => (values ??= fullResyncValues(FULL_COMMIT_VALUES));
  const strict = (place: SouthboundPlace): Row => ({
    measurement: {
      name: `grpc: controller + GrpcSouthbound, strict, southbound ${place} (target ≥ ${GRPC_STRICT_TARGET_PER_SECOND.toLocaleString('en-US')}/s)`,
      events: GRPC_EVENTS,
      elapsedMs: [],
      baseline: memoryStrict,
    },
    run: (count) => runGrpcStrict(benchUpdates(scaled(count)), place),
  });
  return [
    { measurement: memoryStrict, run: (count) => runMemoryStrict(benchUpdates(scaled(count))) },
    strict('in-process'),
    strict('own process'),
    { measurement: engineFull, run: () => runEngineFullCommit(bigTxn()) },
    {
      measurement: {
        name: `grpc: GrpcSouthbound ${FULL_COMMIT_VALUES.toLocaleString('en-US')}-value FULL commit, southbound own process, recorded txn included (rate = values/s)`,
        events: FULL_COMMIT_VALUES,
        elapsedMs: [],
        baseline: engineFull,
      },
      run: () => runGrpcFullCommit(bigTxn()),
    },
  ];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The gRPC rows against the absolute targets, one line each. */
export function grpcTargetLines(measurements: readonly Measurement[]): string[] {
  const lines: string[] = [];
  for (const m of measurements) {
    if (!m.name.startsWith('grpc:') || m.elapsedMs.length === 0) continue;
    const ms = median(m.elapsedMs);
    if (m.events === FULL_COMMIT_VALUES && m.name.includes('FULL')) {
      lines.push(`${m.name}: ${ms.toFixed(0)} ms per commit (target ≤ ${FULL_COMMIT_TARGET_MS} ms: ${ms <= FULL_COMMIT_TARGET_MS ? 'met' : 'NOT met'})`);
    } else {
      const rate = (m.events * 1000) / ms;
      lines.push(`${m.name}: ${Math.round(rate).toLocaleString('en-US')} events/s (target ≥ ${GRPC_STRICT_TARGET_PER_SECOND.toLocaleString('en-US')}/s: ${rate >= GRPC_STRICT_TARGET_PER_SECOND ? 'met' : 'NOT met'})`);
    }
  }
  return lines;
}
