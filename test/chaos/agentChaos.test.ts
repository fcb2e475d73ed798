import { agentChaosReplayCommand } from './replay';
import { runAgentChaos } from './agentChaos';

/**
 * The seeded chaos run of the real agent process (see agentChaos.ts). `npm test` runs a short one
 * with a fresh seed; `npm run chaos -- --agent --seed S --steps N` runs (or replays) a longer one.
 * CHAOS_SEED and CHAOS_STEPS set them here.
 */
const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const steps = Number(process.env.CHAOS_STEPS ?? 30);
const limitMs = 120_000 + steps * 3_000;

test(`agent chaos (seed ${seed}, ${steps} steps): never crashes, exits cleanly, the southbound equals what the handlers derive from etcd`, async () => {
  const replay = `replay: ${agentChaosReplayCommand(seed, steps)}`;
  process.stdout.write(`agent chaos: seed ${seed}, ${steps} steps (${replay})\n`);
  const report = await runAgentChaos({ seed, steps, log: (line) => process.stdout.write(`agent chaos: ${line}\n`) });
  process.stdout.write(`agent chaos report: ${JSON.stringify(report)}\n`);
  expect({ crashed: report.crashed, alarms: report.alarms, replay }).toEqual({ crashed: undefined, alarms: [], replay });
  expect({ differences: report.differences, replay }).toEqual({ differences: [], replay });
  expect({ exit: report.exit, replay }).toEqual({ exit: { code: 0, signal: null }, replay });
}, limitMs);
