/**
 * `npm run bench [-- --only loop,grpc] [--reps n] [--write | --smoke]`: runs the row families
 * (each a module of its own, docs/benchmarks.md explains them), prints each family's table as it
 * finishes, then the targets not met. Only `--write` (with every family) rewrites the results in
 * docs/benchmarks.md. `--smoke` runs every family small and once, to show it still works (the
 * test suite does): nothing is judged.
 */
import { parseArgs } from 'node:util';
import { ControllerError } from '../src/api';
import { collectBenchGarbage } from './benchHeap';
import { etcdFamily } from './etcdRows';
import { grpcFamily } from './grpcRows';
import { latencyFamily } from './latencyRows';
import { loopFamily } from './loopRows';
import { memoryFamily } from './memoryRows';
import { resyncFamily } from './resyncRows';
import { restFamily } from './restRows';
import { startupFamily } from './startupRows';
import { machineLine, misses, resultsBlock, section, writeResults, type Family, type FamilyOutcome, type FamilyResult } from './report';

const FAMILIES: Family[] = [loopFamily, grpcFamily, resyncFamily, latencyFamily, etcdFamily, memoryFamily, startupFamily, restFamily];

/** The share of the issue's sizes a smoke run takes (200,000 events → 4,000; 10 s → 1 s). */
const SMOKE_SCALE = 0.02;

const USAGE = `Usage: npm run bench -- [--only <family,...>] [--reps <n>] [--write | --smoke]

  --only f,g   run only these families (default: all): ${FAMILIES.map((f) => f.name).join(', ')}
  --reps n     repetitions of every family (default: each family's own)
  --write      rewrite the results in docs/benchmarks.md (needs the full run)
  --smoke      every family at ${SMOKE_SCALE * 100}% of its sizes, once: shows that it runs; targets not judged
  --list       list the families and exit`;

interface Options {
  families: Family[];
  reps?: number;
  write: boolean;
  smoke: boolean;
}

function options(): Options | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        only: { type: 'string' },
        reps: { type: 'string' },
        write: { type: 'boolean' },
        smoke: { type: 'boolean' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (cause) {
    throw new UsageError((cause as Error).message, { cause });
  }
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  if (values.list) {
    for (const family of FAMILIES) console.log(`${family.name.padEnd(8)} ${family.title}`);
    return undefined;
  }
  const names = values.only?.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names?.filter((name) => !FAMILIES.some((f) => f.name === name)) ?? [];
  if (unknown.length > 0) throw new UsageError(`unknown famil${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}; known: ${FAMILIES.map((f) => f.name).join(', ')}`);
  const families = names ? FAMILIES.filter((f) => names.includes(f.name)) : FAMILIES;
  if (values.write && families.length !== FAMILIES.length) throw new UsageError('--write rewrites the results of every family: run it without --only');
  if (values.write && values.smoke) throw new UsageError('--write keeps measured results: a smoke run has none to keep');
  const reps = values.reps === undefined ? undefined : Number(values.reps);
  if (reps !== undefined && (!Number.isSafeInteger(reps) || reps < 1)) throw new UsageError('--reps takes a positive integer');
  const smoke = values.smoke ?? false;
  return { families, reps: reps ?? (smoke ? 1 : undefined), write: values.write ?? false, smoke };
}

/** A smoke run's result: the rows keep their targets' text, without a verdict. */
function unjudged(result: FamilyResult): FamilyResult {
  return { ...result, rows: result.rows.map(({ met: _met, ...row }) => row) };
}

/** A bad command line: the usage is printed, exit code 2. */
class UsageError extends ControllerError {}

async function main(): Promise<void> {
  const chosen = options();
  if (!chosen) return;
  const runStart = performance.now();
  const { started, loadBefore } = machineLine();
  console.log(`bench: ${chosen.families.map((f) => f.name).join(', ')}; node ${process.version}; load average ${loadBefore}`);
  if (chosen.smoke) console.log(`smoke run: every family at ${SMOKE_SCALE * 100}% of its sizes, ${chosen.reps} repetition(s); the figures say nothing of the targets, which are not judged`);
  const scale = chosen.smoke ? SMOKE_SCALE : 1;
  const outcomes: FamilyOutcome[] = [];
  for (const family of chosen.families) {
    const began = performance.now();
    const outcome: FamilyOutcome = { family, seconds: 0 };
    collectBenchGarbage();
    try {
      const result = await family.run({ reps: chosen.reps, scale, log: (line) => console.log(line) });
      outcome.result = chosen.smoke ? unjudged(result) : result;
    } catch (error) {
      outcome.error = error instanceof Error ? error.message : String(error);
    }
    outcome.seconds = (performance.now() - began) / 1000;
    outcomes.push(outcome);
    console.log(`\n${section(outcome)}\n`);
  }
  const missed = misses(outcomes);
  if (chosen.smoke) console.log(missed.length === 0 ? 'smoke run: every family ran' : `smoke run failed:\n${missed.map((line) => `  ${line}`).join('\n')}`);
  else console.log(missed.length === 0 ? 'every target met' : `not met:\n${missed.map((line) => `  ${line}`).join('\n')}`);
  const totalSeconds = (performance.now() - runStart) / 1000;
  if (chosen.write) {
    const command = `npm run bench -- --write${chosen.reps ? ` --reps ${chosen.reps}` : ''}`;
    console.log(`written to ${writeResults(resultsBlock(outcomes, { started, loadBefore, totalSeconds, command }))}`);
  }
  if (outcomes.some((o) => o.error !== undefined)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof UsageError ? `${error.message}\n\n${USAGE}` : error);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
