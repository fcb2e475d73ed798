/**
 * One measured burst of the loop rows, in a fresh process (bench/loopRows.ts runs it): build the
 * events, warm up on a share of them, collect garbage, then time the burst: every event pushed
 * at once, then a blocking marker awaited.
 */
import { runPlainLoop } from './baseline';
import { serveTask } from './childTask';
import { barrier, readyController } from './controllerSetup';
import { startTiming, type Timing } from './stats';
import { CopySouthbound, Counter, pairHandlers, podChanges } from './workload';

export type LoopMode = 'plain loop' | 'strict' | 'coalesced';

export interface LoopInput {
  mode: LoopMode;
  events: number;
  warmupEvents: number;
}

export interface LoopOutput extends Timing {
  /** Commits the southbound received for the timed events. */
  commits: number;
}

async function plainLoop(input: LoopInput): Promise<LoopOutput> {
  const counter = new Counter();
  const handlers = pairHandlers();
  const southbound = new CopySouthbound();
  await runPlainLoop(handlers, southbound, podChanges(input.warmupEvents, counter));
  const events = podChanges(input.events, counter, input.warmupEvents);
  const before = southbound.commits;
  const stop = startTiming();
  await runPlainLoop(handlers, southbound, events);
  const timing = stop();
  counter.check(input.warmupEvents + input.events);
  return { ...timing, commits: southbound.commits - before };
}

async function controllerBurst(input: LoopInput): Promise<LoopOutput> {
  const counter = new Counter();
  const southbound = new CopySouthbound();
  // The queue holds the whole burst: pushEvent never waits, a full queue is an immediate error.
  const controller = await readyController(southbound, { coalesceUpdates: input.mode === 'coalesced', eventQueueSize: input.events + 16 });
  for (const event of podChanges(input.warmupEvents, counter)) controller.pushEvent(event);
  await barrier(controller);
  const events = podChanges(input.events, counter, input.warmupEvents);
  const before = southbound.commits;
  const stop = startTiming();
  for (const event of events) controller.pushEvent(event);
  await barrier(controller);
  const timing = stop();
  const commits = southbound.commits - before;
  counter.check(input.warmupEvents + input.events);
  await controller.close();
  return { ...timing, commits };
}

serveTask(module, (input: LoopInput) => (input.mode === 'plain loop' ? plainLoop(input) : controllerBurst(input)));
