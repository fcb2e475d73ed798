import { writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Controller } from '../../controller';
import type { RunningAgent } from '../agentProcess';

/**
 * Exit code of an agent whose controller became fatal: the process exits so that its supervisor
 * (systemd, Kubernetes) restarts it, as controller-runtime's manager does.
 */
export const FATAL_EXIT_CODE = 3;

/** JSON with bigints (e.g. `txn.seqNum`) as decimal strings, like the REST API. */
export function historyJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

/**
 * Stops the agent gracefully and, with `historyOut`, writes its whole event history (the REST
 * API's JSON) to that file once the Shutdown event is recorded: a record of the run that
 * outlives the process. Resolves with the exit code: 0 after a clean stop, 1 otherwise.
 */
export async function stopAgent(agent: RunningAgent, logger: Logger, historyOut: string | undefined): Promise<number> {
  let code = 0;
  try {
    await agent.close();
  } catch (error) {
    logger.error({ err: error }, 'agent did not stop cleanly');
    code = 1;
  }
  if (historyOut !== undefined) {
    try {
      writeFileSync(historyOut, historyJson(agent.controller.eventHistory()));
    } catch (error) {
      logger.error({ err: error, historyOut }, 'cannot write the event history');
      code = 1;
    }
  }
  return code;
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

/**
 * Runs until `signal` (see firstShutdownSignal) resolves, then stops the agent (see stopAgent).
 * Unless `stayOnFatal`, a fatal controller stops the agent too, with FATAL_EXIT_CODE.
 */
export async function runUntilSignal(
  agent: RunningAgent,
  logger: Logger,
  historyOut: string | undefined,
  signal: Promise<unknown>,
  options: { stayOnFatal?: boolean } = {},
): Promise<number> {
  const watch = controllerFatal(agent.controller);
  const reason = await Promise.race([signal.then(() => undefined), options.stayOnFatal ? new Promise<never>(() => undefined) : watch.fatal]);
  watch.cancel();
  if (reason !== undefined) logger.fatal({ reason, exitCode: FATAL_EXIT_CODE }, 'controller is fatal: stopping the agent so that it is restarted');
  const code = await stopAgent(agent, logger, historyOut);
  logger.flush?.();
  return agent.controller.health().live ? code : FATAL_EXIT_CODE;
}
