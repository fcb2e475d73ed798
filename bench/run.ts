/**
 * `npm run bench`: the controller against a plain loop doing the same work (see docs/benchmarks.md,
 * which this script rewrites). Every row is warmed up, then repeated; the median is reported.
 */
import { runBaseline } from './baseline';
import { runBurst, runStrict } from './controllerRuns';
import { grpcRows, grpcTargetLines } from './grpcRows';
import { describeRestLoad, runRestLoad } from './restLoad';
import { table, writeReport, type Measurement } from './report';
import { benchHandlers, benchUpdates, kubeStateChanges } from './workload';

function positiveInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

const EVENTS = positiveInt('BENCH_EVENTS', 100_000);
const REPETITIONS = positiveInt('BENCH_REPS', 5);
const WARMUP_EVENTS = Math.max(1, Math.floor(EVENTS / 5));

/** One row: how to run it on `count` fresh events. Events are built before the clock starts. */
interface Row {
  measurement: Measurement;
  run(count: number): Promise<number>;
}

function rows(): Row[] {
  const baselineKube: Measurement = { name: 'baseline: plain loop (KubeStateChange)', events: EVENTS, elapsedMs: [] };
  const baselineBench: Measurement = { name: 'baseline: plain loop (BenchUpdate)', events: EVENTS, elapsedMs: [] };
  return [
    { measurement: baselineKube, run: (count) => runBaseline(benchHandlers(), kubeStateChanges(count)) },
    {
      measurement: { name: 'controller: burst (KubeStateChange)', events: EVENTS, elapsedMs: [], baseline: baselineKube },
      run: (count) => runBurst(kubeStateChanges(count)),
    },
    { measurement: baselineBench, run: (count) => runBaseline(benchHandlers(), benchUpdates(count)) },
    {
      measurement: { name: 'controller: strict per-event (BenchUpdate)', events: EVENTS, elapsedMs: [], baseline: baselineBench },
      run: (count) => runStrict(benchUpdates(count)),
    },
    ...grpcRows(EVENTS),
  ];
}

async function main(): Promise<void> {
  const began = performance.now();
  const plan = rows();
  console.log(`controller bench: ${EVENTS} events x ${REPETITIONS} repetitions, warm-up ${WARMUP_EVENTS} events, node ${process.version}`);
  for (const row of plan) await row.run(WARMUP_EVENTS);
  // Rows interleave within each repetition, so a slow moment of the machine hits all of them.
  for (let rep = 1; rep <= REPETITIONS; rep++) {
    for (const row of plan) row.measurement.elapsedMs.push(await row.run(EVENTS));
    process.stdout.write(`repetition ${rep}/${REPETITIONS} done\n`);
  }
  const measurements = plan.map((row) => row.measurement);
  console.log(`\n${table(measurements)}\n`);
  for (const line of grpcTargetLines(measurements)) console.log(line);
  const path = writeReport(measurements, {
    events: EVENTS,
    repetitions: REPETITIONS,
    warmupEvents: WARMUP_EVENTS,
    totalSeconds: (performance.now() - began) / 1000,
  });
  console.log(`written to ${path}`);
  console.log(`\n${describeRestLoad(await runRestLoad())}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
