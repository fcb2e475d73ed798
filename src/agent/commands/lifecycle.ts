import { writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { RunningAgent } from '../agentProcess';

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

/** Runs until `signal` (see firstShutdownSignal) resolves, then stops the agent (see stopAgent). */
export async function runUntilSignal(agent: RunningAgent, logger: Logger, historyOut: string | undefined, signal: Promise<unknown>): Promise<number> {
  await signal;
  return stopAgent(agent, logger, historyOut);
}
