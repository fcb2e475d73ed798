/**
 * Rows 1–2, family `loop`: the controller on the issue's workload (bench/workload.ts), a burst of
 * 200,000 pod changes pushed at once, one commit per event (`coalesceUpdates: false`, as the
 * original) and coalesced (the default), against the Go anchor (bench/go-anchor) and the plain
 * JavaScript loop (bench/baseline.ts), all measured in the same run. Every run is a fresh process;
 * the repetitions interleave the four, so a slow moment of the machine hits all of them.
 */
import { runTask } from './childTask';
import { prepareGoAnchor } from './goAnchor';
import type { LoopInput, LoopMode, LoopOutput } from './loopTask';
import { scaled, type Family, type RowResult, type RunSettings } from './report';
import { Throughput, ratio, thousands } from './stats';
import { FLOOR_DESCRIPTION, FLOOR_LABEL, type HandlerSet } from './workload';

const EVENTS = 200_000;
const WARMUP_EVENTS = 20_000;
const DEFAULT_REPS = 5;
const STRICT_TARGET = 1.0;
const COALESCED_TARGET = 2.0;

const CONTROLLER_MODES: Record<'strict' | 'coalesced', { name: string; factor: number }> = {
  strict: { name: 'controller, strict: one commit per event (coalesceUpdates: false)', factor: STRICT_TARGET },
  coalesced: { name: 'controller, burst coalescing (coalesceUpdates: true, the default)', factor: COALESCED_TARGET },
};

async function run(settings: RunSettings): Promise<{ rows: RowResult[]; notes: string[] }> {
  const reps = settings.reps ?? DEFAULT_REPS;
  const events = scaled(EVENTS, settings);
  const warmupEvents = scaled(WARMUP_EVENTS, settings);
  const measure = async (mode: LoopMode, metrics = false, handlers: HandlerSet = 'workload'): Promise<LoopOutput> =>
    (await runTask<LoopInput, LoopOutput>('loopTask', { mode, events, warmupEvents, metrics, handlers })).result;
  const { anchor, reason } = prepareGoAnchor();
  const go = new Throughput(events);
  const plain = new Throughput(events);
  const controller = { strict: new Throughput(events), coalesced: new Throughput(events) };
  const commits = { strict: [] as number[], coalesced: [] as number[] };
  const withMetrics = new Throughput(events);
  const floor = new Throughput(events);
  try {
    for (let rep = 1; rep <= reps; rep++) {
      if (anchor) go.add(anchor.run(events));
      plain.add(await measure('plain loop'));
      for (const mode of ['strict', 'coalesced'] as const) {
        const output = await measure(mode);
        controller[mode].add(output);
        commits[mode].push(output.commits);
      }
      withMetrics.add(await measure('coalesced', true));
      floor.add(await measure('coalesced', false, 'floor'));
      settings.log(`loop: repetition ${rep}/${reps} done`);
    }
  } finally {
    anchor?.dispose();
  }

  // The target's baseline: the Go anchor, else (no Go here) the plain loop.
  const reference = anchor ? { name: 'Go anchor', rate: go.rate } : { name: 'plain JS loop', rate: plain.rate };
  const baselines = [...(anchor ? [`Go ${go.figure()}`] : []), `plain loop ${plain.figure()}`].join('; ');
  const rows: RowResult[] = [];
  if (anchor) rows.push({ name: 'baseline: Go anchor (the original per-event path in Go)', figure: go.figure(), range: go.range() });
  rows.push({ name: 'baseline: plain JS loop (the same work, no controller)', figure: plain.figure(), range: plain.range() });
  for (const mode of ['strict', 'coalesced'] as const) {
    const series = controller[mode];
    const { name, factor } = CONTROLLER_MODES[mode];
    const ratios = [...(anchor ? [`${ratio(series.rate / go.rate)} Go`] : []), `${ratio(series.rate / plain.rate)} plain loop`].join('; ');
    rows.push({
      name,
      figure: series.figure(),
      range: series.range(),
      baseline: baselines,
      ratio: ratios,
      target: `≥ ${factor.toFixed(1)}× ${reference.name}`,
      met: series.rate >= factor * reference.rate,
    });
  }
  rows.push({
    name: 'controller, burst coalescing, observed by the agent\'s metrics (ControllerMetrics)',
    figure: withMetrics.figure(),
    range: withMetrics.range(),
    baseline: `coalesced ${controller.coalesced.figure()}`,
    ratio: ratio(withMetrics.rate / controller.coalesced.rate),
  });
  rows.push({
    name: `floor: controller, burst coalescing, ${FLOOR_LABEL}`,
    figure: floor.figure(),
    range: floor.range(),
    baseline: baselines,
    ratio: [...(anchor ? [`${ratio(floor.rate / go.rate)} Go`] : []), `${ratio(floor.rate / plain.rate)} plain loop`].join('; '),
  });
  const cpu = [...(anchor ? [`Go ${go.cpuFigure()} (whole process, start-up included)`] : []), `plain loop ${plain.cpuFigure()}`, `strict ${controller.strict.cpuFigure()}`, `coalesced ${controller.coalesced.cpuFigure()}`, `coalesced with metrics ${withMetrics.cpuFigure()}`];
  const averageBatch = (events / (commits.coalesced.reduce((a, b) => a + b, 0) / Math.max(1, commits.coalesced.length))).toFixed(0);
  return {
    rows,
    notes: [
      `${thousands(events)} events per burst (after ${thousands(warmupEvents)} warm-up events in the controller and plain-loop processes), ${reps} repetitions, medians of wall-clock rates.`,
      anchor ? `Go anchor: ${anchor.source}.` : `No Go anchor: ${reason}; the targets are taken against the plain JS loop instead.`,
      `Process CPU time (medians): ${cpu.join(', ')}.`,
      `Coalesced bursts: ${averageBatch} events per commit on average; strict: ${thousands(commits.strict[0] ?? 0)} commits per burst.`,
      floorNote(floor.rate, COALESCED_TARGET * reference.rate, reference.name, plain.rate),
    ],
  };
}

/**
 * The floor against the coalesced target: the runtime's own time per event, and what the target
 * leaves for the runtime once the workload's handler work (the plain loop's time) is paid.
 */
function floorNote(floorRate: number, targetRate: number, reference: string, plainRate: number): string {
  const µs = (rate: number): string => `${(1e6 / rate).toFixed(2)} µs`;
  const left = 1e6 / targetRate - 1e6 / plainRate;
  return (
    `Floor: the same burst with ${FLOOR_DESCRIPTION}: the runtime alone takes ${µs(floorRate)} per event. ` +
    `The coalesced target (${COALESCED_TARGET.toFixed(1)}× ${reference}) allows ${µs(targetRate)} per event, of which the workload's own work (the plain loop) takes ${µs(plainRate)}: ` +
    `${left > 0 ? `${left.toFixed(2)} µs` : 'nothing'} left for the runtime.`
  );
}

export const loopFamily: Family = { name: 'loop', title: 'controller per event and burst coalescing vs the Go anchor', run };
