/**
 * Row 8, family `memory`: 1,000,000 pod changes with the event history on (bounded by
 * eventHistoryMaxRecords), the RSS sampled every 100,000 after a garbage collection
 * (bench/memoryTask.ts, a fresh process): it must stay flat once warmed up.
 */
import { runTask } from './childTask';
import type { MemoryInput, MemoryOutput } from './memoryTask';
import { scaled, type Family, type FamilyResult, type RowResult, type RunSettings } from './report';
import { median, mib, range, thousands } from './stats';

const EVENTS = 1_000_000;
const SAMPLE_EVERY = 100_000;
const CHUNK = 10_000;
/** Samples taken during the warm-up: the history fills up (10,000 records), the JIT settles. */
const WARMUP_SAMPLES = 3;
const TARGET_GROWTH_BYTES = 10 * 1048576;
const DEFAULT_REPS = 1;

const mibText = (bytes: number): string => (bytes / 1048576).toFixed(0);

/** Growth after the warm-up: the highest later sample above the last warm-up one. */
const growth = (samples: number[]): number => Math.max(...samples.slice(WARMUP_SAMPLES)) - samples[WARMUP_SAMPLES - 1];

async function run(settings: RunSettings): Promise<FamilyResult> {
  const reps = settings.reps ?? DEFAULT_REPS;
  const events = scaled(EVENTS, settings);
  const sampleEvery = scaled(SAMPLE_EVERY, settings);
  const chunk = scaled(CHUNK, settings);
  const runs: MemoryOutput[] = [];
  for (let rep = 1; rep <= reps; rep++) {
    runs.push((await runTask<MemoryInput, MemoryOutput>('memoryTask', { events, sampleEvery, chunk })).result);
    settings.log(`memory: repetition ${rep}/${reps} done`);
  }
  const growths = runs.map((r) => growth(r.rss));
  const heapGrowths = runs.map((r) => growth(r.heapUsed));
  const starts = runs.map((r) => r.startRss);
  const rows: RowResult[] = [
    { name: 'baseline: RSS of the started controller, before the first event', figure: mib(median(starts)), range: range(starts, mib) },
    {
      name: `RSS growth from ${thousands(WARMUP_SAMPLES * sampleEvery)} to ${thousands(events)} events, history on`,
      figure: mib(median(growths)),
      range: range(growths, mib),
      baseline: `RSS at ${thousands(WARMUP_SAMPLES * sampleEvery)} events ${mib(median(runs.map((r) => r.rss[WARMUP_SAMPLES - 1])))}`,
      target: `≤ ${mib(TARGET_GROWTH_BYTES)} (flat)`,
      met: median(growths) <= TARGET_GROWTH_BYTES,
    },
  ];
  return {
    rows,
    notes: [
      `RSS samples (MiB) every ${thousands(sampleEvery)} events, after a GC: ${runs.map((r) => r.rss.map(mibText).join(', ')).join(' | ')}.`,
      `V8 heap used at the same points (MiB): ${runs.map((r) => r.heapUsed.map(mibText).join(', ')).join(' | ')}; growth after the warm-up ${heapGrowths.map(mib).join(', ')}.`,
      `Events pushed ${thousands(chunk)} at a time, each chunk awaited; default settings (history on, at most ${thousands(runs[0]?.historyRecords ?? 0)} records kept at the end); ${reps} run(s) in a fresh process.`,
    ],
  };
}

export const memoryFamily: Family = { name: 'memory', title: 'a million events with the history on: RSS stays flat', run };
