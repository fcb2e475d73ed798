import { writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Controller } from '../../controller';
import type { RunningAgent } from '../agentProcess';
import { EXIT } from './runner';

/**
 * Exit code of an agent whose controller became fatal: the process exits so that its supervisor
 * (systemd, Kubernetes) restarts it, as controller-runtime's manager does.
 */
export const FATAL_EXIT_CODE = EXIT.fatal;

/** JSON with bigints (e.g. `txn.seqNum`) as decimal strings, like the REST API. */
export function historyJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

/** What holds a stop that does not finish: the running event and the handler call it waits for. */
export function describeHolder(agent: RunningAgent, now = Date.now()): string {
  const event = agent.controller.currentEvent();
  if (!event) return 'no event is being processed (a component did not close)';
  const what = `event #${event.seqNum} (${event.name}), running for ${((now - event.startedAt) / 1000).toFixed(1)} s`;
  const waiting = event.waitingFor;
  if (!waiting) return what;
  if ('commit' in waiting) return `the commit to the southbound of ${what}`;
  return `handler "${waiting.handler}" in ${waiting.call}() of ${what}`;
}

export interface StopOptions {
  /** Writes the whole event history (the REST API's JSON) to this file once the Shutdown is recorded. */
  historyOut?: string;
  /** Beyond this, give up: say what holds the stop and resolve with exit code 1 (0 = wait for ever). */
  shutdownTimeoutMs?: number;
}

/**
 * Stops the agent gracefully and, with `historyOut`, writes its event history: a record of the
 * run that outlives the process. Resolves with the exit code: 0 after a clean stop, 1 otherwise,
 * also when the stop did not finish within `shutdownTimeoutMs` (the caller then exits at once).
 */
export async function stopAgent(agent: RunningAgent, logger: Logger, options: StopOptions = {}): Promise<{ code: number; timedOut: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  const limit = options.shutdownTimeoutMs ?? 0;
  const timeout = new Promise<'timeout'>((resolve) => {
    if (limit > 0) timer = setTimeout(() => resolve('timeout'), limit);
  });
  let code: number = EXIT.ok;
  try {
    const outcome = await Promise.race([agent.close().then(() => 'closed' as const), timeout]);
    if (outcome === 'timeout') {
      logger.fatal({ shutdownTimeoutMs: limit, heldBy: describeHolder(agent) }, `the stop did not finish within shutdownTimeout (${limit} ms): exiting`);
      return { code: EXIT.failed, timedOut: true };
    }
  } catch (error) {
    logger.error({ err: error }, 'agent did not stop cleanly');
    code = EXIT.failed;
  } finally {
    clearTimeout(timer);
  }
  if (options.historyOut !== undefined) {
    try {
      writeFileSync(options.historyOut, historyJson(agent.controller.eventHistory()));
    } catch (error) {
      logger.error({ err: error, historyOut: options.historyOut }, 'cannot write the event history');
      code = EXIT.failed;
    }
  }
  return { code, timedOut: false };
}

/** Resolves with the reason once the controller is fatal; `cancel` stops watching. */
export function controllerFatal(controller: Controller): { fatal: Promise<string>; cancel(): void } {
  let subscription: { unsubscribe(): void } | undefined;
  const fatal = new Promise<string>((resolve) => {
    const check = (): void => {
      const health = controller.health();
      if (health.state !== 'fatal') return;
      subscription?.unsubscribe();
      resolve(health.error ?? 'fatal');
    };
    subscription = controller.actor.subscribe({ next: check, error: () => undefined });
    check();
  });
  return { fatal, cancel: () => subscription?.unsubscribe() };
}

export interface RunOptions extends StopOptions {
  /** Resolves on the first SIGINT/SIGTERM (see firstShutdownSignal). */
  signal: Promise<unknown>;
  /** Keep running when the controller is fatal (exit code 3 comes at the signal). */
  stayOnFatal?: boolean;
  /** Called when the stop timed out: the process must end now, handles or not. */
  exit?: (code: number) => void;
}

/**
 * Runs until `signal` resolves, then stops the agent (see stopAgent). Unless `stayOnFatal`, a
 * fatal controller stops the agent too, with FATAL_EXIT_CODE. A stop that does not finish within
 * shutdownTimeout ends the process with code 1, saying which handler held it.
 */
export async function runUntilSignal(agent: RunningAgent, logger: Logger, options: RunOptions): Promise<number> {
  const watch = controllerFatal(agent.controller);
  const reason = await Promise.race([options.signal.then(() => undefined), options.stayOnFatal ? new Promise<never>(() => undefined) : watch.fatal]);
  watch.cancel();
  if (reason !== undefined) logger.fatal({ reason, exitCode: FATAL_EXIT_CODE }, 'controller is fatal: stopping the agent so that it is restarted');
  const { code, timedOut } = await stopAgent(agent, logger, options);
  logger.flush?.();
  if (timedOut) {
    (options.exit ?? ((exitCode: number) => process.exit(exitCode)))(code);
    return code;
  }
  return agent.controller.health().live ? code : FATAL_EXIT_CODE;
}
