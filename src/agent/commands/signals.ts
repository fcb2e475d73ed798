import type { Logger } from 'pino';

/** Exit code of a stop forced by a second signal (as shells report SIGINT: 128 + 2). */
export const FORCED_EXIT_CODE = 130;

/**
 * Resolves on the first SIGINT or SIGTERM, so the caller can stop gracefully; a second signal
 * while it does forces the exit at once with code 130 (an operator's "I said stop").
 */
export function firstShutdownSignal(logger: Logger, exit: (code: number) => never = (code) => process.exit(code)): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        logger.warn({ signal }, 'second signal: forcing exit');
        exit(FORCED_EXIT_CODE);
      }
      received = signal;
      logger.info({ signal }, 'shutting down (a second signal forces exit)');
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
