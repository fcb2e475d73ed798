#!/usr/bin/env node
import { runContivctl } from './program';

/** A stopped agent never lingers: if a library left a handle open, the exit is forced after this. */
const FORCED_EXIT_GRACE_MS = 3000;

// `contivctl agent --help | head`: a closed pipe ends the output, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

runContivctl(process.argv.slice(2)).then(
  ({ code, exitWhenDone }) => {
    process.exitCode = code;
    if (exitWhenDone) {
      setTimeout(() => {
        process.stderr.write(`contivctl: stopped, but handles were still open after ${FORCED_EXIT_GRACE_MS} ms: exiting\n`);
        process.exit(code);
      }, FORCED_EXIT_GRACE_MS).unref();
    }
  },
  (error: unknown) => {
    process.stderr.write(`contivctl: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
