/**
 * One measured burst of the loop rows, in a fresh process (bench/loopRows.ts runs it): build the
 * events, warm up on a share of them, collect garbage, then time the burst: every event pushed
 * at once, then a blocking marker awaited.
 */
import { ControllerMetrics, DEFAULT_METRICS_PREFIX } from '../src/agent/metrics';
import { runPlainLoop } from './baseline';
import { serveTask } from './childTask';
import { barrier, readyController } from './controllerSetup';
import { startTiming, type Timing } from './stats';
import { BenchRunError } from './errors';
import { CopySouthbound, Counter, handlersOf, pairHandlers, podChanges, type HandlerSet } from './workload';

export type LoopMode = 'plain loop' | 'strict' | 'coalesced';

export interface LoopInput {
  mode: LoopMode;
  events: number;
  warmupEvents: number;
  /** The agent's Prometheus metrics (ControllerMetrics) observe the controller. */
  metrics?: boolean;
  /** The controller's handlers (the plain loop always runs the workload's): the workload's by default. */
  handlers?: HandlerSet;
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
  const controller = await readyController(southbound, { coalesceUpdates: input.mode === 'coalesced', eventQueueSize: input.events + 16 }, handlersOf(input.handlers ?? 'workload'));
  const metrics = input.metrics ? new ControllerMetrics({ controller }) : undefined;
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
  if (metrics) await checkMetrics(metrics, input.warmupEvents + input.events);
  metrics?.close();
  await controller.close();
  return { ...timing, commits };
}

/** The metrics saw every pod change (a read of the registry, after the clock). */
async function checkMetrics(metrics: ControllerMetrics, expected: number): Promise<void> {
  const processed = await metrics.registry.getSingleMetric(`${DEFAULT_METRICS_PREFIX}events_processed_total`)?.get();
  const counted = processed?.values.find(({ labels }) => labels.event === 'kube_state_change' && labels.result === 'ok')?.value;
  if (counted !== expected) throw new BenchRunError(`the metrics counted ${counted ?? 'no'} pod changes, expected ${expected}`);
}

serveTask(module, (input: LoopInput) => (input.mode === 'plain loop' ? plainLoop(input) : controllerBurst(input)));
