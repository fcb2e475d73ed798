/**
 * `npm run chaos -- --seed S --steps N`: runs (or replays) the seeded chaos test of the
 * controller against real etcd and the reference southbound (test/chaos/), longer than the short
 * run of `npm test`. The seed is printed at the start; the same seed gives the same actions.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/packageRoot';

const USAGE = `Usage: npm run chaos -- [--seed <n>] [--steps <n>]

  --seed <n>    the seed of the run (default: a random one, printed)
  --steps <n>   number of chaos actions (default 2000)
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
  try {
    const { values } = parseArgs({ options: { seed: { type: 'string' }, steps: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    seed = positiveInt('seed', values.seed, Math.floor(Math.random() * 2 ** 31));
    steps = positiveInt('steps', values.steps, 2000);
  } catch (error) {
    process.stderr.write(`chaos: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  process.stdout.write(`chaos: seed ${seed}, ${steps} steps\n`);
  const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--runTestsByPath', 'test/chaos/controllerChaos.test.ts', '--verbose'], {
    cwd: packageRoot(),
    stdio: 'inherit',
    env: { ...process.env, CHAOS_SEED: String(seed), CHAOS_STEPS: String(steps) },
  });
  return jest.status ?? 1;
}

process.exitCode = main();
