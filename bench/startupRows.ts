/**
 * Row 9, family `startup`: what loading the library costs a fresh process: `require` of the
 * package root (whatever its package.json points at) and of the controller module alone, timed
 * inside a fresh `node`; and `contivctl --help` from spawn to exit. The baseline is node's own
 * start-up (`node -e 0`), measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { packageRoot } from '../src/packageRoot';
import type { Family, FamilyResult, RowResult, RunSettings } from './report';
import { median, ms, range } from './stats';
import { BenchRunError } from './errors';

const REQUIRE_TARGET_MS = 100;
const HELP_TARGET_MS = 300;
const DEFAULT_REPS = 10;
/** Packages that only the agent, the gRPC southbound or the DB watcher need: the core should not load them. */
const HEAVY = ['@grpc/grpc-js', '@grpc/proto-loader', 'etcd3', 'lmdb', 'fastify', 'prom-client', 'ws', '@statelyai/inspect'];

interface RequireTiming {
  requireMs: number;
  processMs: number;
  heavy: string[];
}

/** Times `require(target)` in a fresh node, and lists the heavy packages it loaded. */
function timeRequire(target: string): RequireTiming {
  const script = `
    const start = process.hrtime.bigint();
    require(${JSON.stringify(target)});
    const requireMs = Number(process.hrtime.bigint() - start) / 1e6;
    const heavy = ${JSON.stringify(HEAVY)}.filter((name) => Object.keys(require.cache).some((file) => file.includes('/node_modules/' + name + '/')));
    process.stdout.write(JSON.stringify({ requireMs, heavy }));`;
  const started = performance.now();
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  const processMs = performance.now() - started;
  if (child.status !== 0) throw new BenchRunError(`require(${target}) failed: ${child.stderr}`);
  return { ...(JSON.parse(child.stdout) as Omit<RequireTiming, 'processMs'>), processMs };
}

/** Wall time of a whole process, spawn to exit. */
function timeProcess(args: string[]): number {
  const started = performance.now();
  const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (child.status !== 0) throw new BenchRunError(`node ${args.join(' ')} failed: ${child.stderr}`);
  return elapsed;
}

const fmt = (value: number): string => ms(value, 1);

async function run(settings: RunSettings): Promise<FamilyResult> {
  const reps = settings.reps ?? DEFAULT_REPS;
  const root = packageRoot();
  const controllerModule = join(root, 'dist', 'src', 'controller.js');
  const cli = join(root, 'dist', 'src', 'cli', 'main.js');
  const entry = relative(root, require.resolve(root));
  const nodeAlone: number[] = [];
  const core: RequireTiming[] = [];
  const controller: RequireTiming[] = [];
  const help: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    nodeAlone.push(timeProcess(['-e', '0']));
    core.push(timeRequire(root));
    controller.push(timeRequire(controllerModule));
    help.push(timeProcess([cli, '--help']));
  }
  settings.log(`startup: ${reps} repetitions done`);
  const baseline = `node -e 0: ${fmt(median(nodeAlone))}`;
  const requireRow = (name: string, runs: RequireTiming[]): RowResult => ({
    name,
    figure: fmt(median(runs.map((r) => r.requireMs))),
    range: range(runs.map((r) => r.requireMs), fmt),
    baseline,
    target: `≤ ${fmt(REQUIRE_TARGET_MS)}`,
    met: median(runs.map((r) => r.requireMs)) <= REQUIRE_TARGET_MS,
  });
  const loaded = (runs: RequireTiming[]): string => (runs[0]?.heavy.length ? runs[0].heavy.join(', ') : 'none of them');
  return {
    rows: [
      { name: 'baseline: node start-up alone (node -e 0), spawn to exit', figure: fmt(median(nodeAlone)), range: range(nodeAlone, fmt) },
      requireRow(`require('<package root>') → ${entry}, in a fresh node`, core),
      requireRow("require('dist/src/controller.js') alone, in a fresh node", controller),
      {
        name: 'contivctl --help, spawn to exit',
        figure: fmt(median(help)),
        range: range(help, fmt),
        baseline,
        ratio: `+${fmt(median(help) - median(nodeAlone))}`,
        target: `≤ ${fmt(HELP_TARGET_MS)}`,
        met: median(help) <= HELP_TARGET_MS,
      },
    ],
    notes: [
      `${reps} repetitions, interleaved. Whole process with the require, spawn to exit: package root ${fmt(median(core.map((r) => r.processMs)))}, controller.js ${fmt(median(controller.map((r) => r.processMs)))}.`,
      `Heavy packages (${HEAVY.join(', ')}) loaded by the package root: ${loaded(core)}; by controller.js: ${loaded(controller)}.`,
    ],
  };
}

export const startupFamily: Family = { name: 'startup', title: 'loading the library and the CLI', run };
