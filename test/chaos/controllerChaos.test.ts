import { runControllerChaos } from './controllerChaos';
import { replayCommand } from './replay';

/**
 * The seeded chaos run of the controller (see controllerChaos.ts). `npm test` runs a short one
 * with a fresh seed each time; `npm run chaos -- --seed S --steps N` runs (or replays) a longer
 * one. CHAOS_SEED and CHAOS_STEPS set them here.
 */
const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const steps = Number(process.env.CHAOS_STEPS ?? 40);
const limitMs = 60_000 + steps * 2_000;

test(`chaos (seed ${seed}, ${steps} steps): every event finished once, nothing fatal, the southbound equals what the handlers derive from etcd`, async () => {
  process.stdout.write(`controller chaos: seed ${seed}, ${steps} steps (replay: ${replayCommand(seed, steps)})\n`);
  const report = await runControllerChaos({ seed, steps, log: (line) => process.stdout.write(`chaos: ${line}\n`) });
  process.stdout.write(`controller chaos report: ${JSON.stringify(report)}\n`);
  const replay = `replay: ${replayCommand(seed, steps)}`;
  expect({ wentFatal: report.wentFatal, replay }).toEqual({ wentFatal: undefined, replay });
  expect({ finishedTwice: report.finishedTwice, unfinished: report.unfinished, replay }).toEqual({ finishedTwice: 0, unfinished: 0, replay });
  expect({ differences: report.differences, replay }).toEqual({ differences: [], replay });
  expect(report.accepted).toBeGreaterThan(0);
}, limitMs);
