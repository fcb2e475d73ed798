/**
 * `npm run chaos -- [--agent] --seed S --steps N`: runs (or replays) a seeded chaos test
 * (test/chaos/) longer than the short run of `npm test`: of the controller against real etcd and
 * the reference southbound, or with `--agent` of the real agent process in its environment. The
 * seed is printed at the start; the same seed gives the same actions.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/packageRoot';

const USAGE = `Usage: npm run chaos -- [--agent] [--seed <n>] [--steps <n>]

  --agent       the real agent process (etcd killed and compacted, southbound restarts and
                outages, its data dir on a full tmpfs, floods) instead of the controller alone
  --seed <n>    the seed of the run (default: a random one, printed)
  --steps <n>   number of chaos actions (default 2000, 300 with --agent)
`;

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer, not "${text}"`);
  return value;
}

function main(): number {
  let seed: number;
  let steps: number;
  let testFile: string;
  try {
    const { values } = parseArgs({ options: { agent: { type: 'boolean' }, seed: { type: 'string' }, steps: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    seed = positiveInt('seed', values.seed, Math.floor(Math.random() * 2 ** 31));
    steps = positiveInt('steps', values.steps, values.agent ? 300 : 2000);
    testFile = values.agent ? 'test/chaos/agentChaos.test.ts' : 'test/chaos/controllerChaos.test.ts';
  } catch (error) {
    process.stderr.write(`chaos: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  process.stdout.write(`chaos: ${testFile}, seed ${seed}, ${steps} steps\n`);
  const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--runTestsByPath', testFile, '--verbose'], {
    cwd: packageRoot(),
    stdio: 'inherit',
    env: { ...process.env, CHAOS_SEED: String(seed), CHAOS_STEPS: String(steps) },
  });
  return jest.status ?? 1;
}

process.exitCode = main();
