import type { Measurement } from './report';
import { fullResyncValues, runEngineFullCommit, runGrpcFullCommit, runGrpcStrict, runMemoryStrict } from './grpcRuns';
import { benchUpdates } from './workload';

/** What the issue asks of the strict per-event row over gRPC. */
export const GRPC_STRICT_TARGET_PER_SECOND = 10_000;
/** Values of the big FULL commit row. */
export const FULL_COMMIT_VALUES = 100_000;

/**
 * The southbound rows of `npm run bench`: a controller committing each event over gRPC, and one
 * big FULL commit, each beside a baseline measured in the same run.
 */
export function grpcRows(events: number): { measurement: Measurement; run(count: number): Promise<number> }[] {
  const memoryStrict: Measurement = { name: 'baseline: controller + InMemorySouthbound, strict (3 handlers × 2 values)', events, elapsedMs: [] };
  const engineFull: Measurement = { name: `baseline: SchedulerEngine in-process, ${FULL_COMMIT_VALUES.toLocaleString('en-US')}-value FULL (rate = values/s)`, events: FULL_COMMIT_VALUES, elapsedMs: [] };
  let values: ReturnType<typeof fullResyncValues> | undefined;
  const bigTxn = (): ReturnType<typeof fullResyncValues> => (values ??= fullResyncValues(FULL_COMMIT_VALUES));
  return [
    { measurement: memoryStrict, run: (count) => runMemoryStrict(benchUpdates(count)) },
    {
      measurement: {
        name: `grpc: controller + GrpcSouthbound, strict (3 handlers × 2 values; target ≥ ${GRPC_STRICT_TARGET_PER_SECOND.toLocaleString('en-US')}/s)`,
        events,
        elapsedMs: [],
        baseline: memoryStrict,
      },
      run: (count) => runGrpcStrict(benchUpdates(count)),
    },
    { measurement: engineFull, run: () => runEngineFullCommit(bigTxn()) },
    {
      measurement: {
        name: `grpc: GrpcSouthbound ${FULL_COMMIT_VALUES.toLocaleString('en-US')}-value FULL commit, recorded txn included (rate = values/s)`,
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
      lines.push(`${m.name}: ${ms.toFixed(0)} ms per commit (target ≤ 1000 ms: ${ms <= 1000 ? 'met' : 'NOT met'})`);
    } else {
      const rate = (m.events * 1000) / ms;
      lines.push(`${m.name}: ${Math.round(rate).toLocaleString('en-US')} events/s (target ≥ ${GRPC_STRICT_TARGET_PER_SECOND.toLocaleString('en-US')}/s: ${rate >= GRPC_STRICT_TARGET_PER_SECOND ? 'met' : 'NOT met'})`);
    }
  }
  return lines;
}
