#!/usr/bin/env node
import { runAgentCommand } from '../agent/commands/agent';
import { runDemoCommand } from '../agent/commands/demo';
import { runHistoryCommand } from '../agent/commands/history';
import { runMachineCommand } from '../agent/commands/machine';
import { runResyncCommand } from '../agent/commands/resync';
import { runWriterCommand } from '../dbwatcher/writerCommand';
import { runSouthboundCommand } from '../southbound/agent/cli';

/**
 * One subcommand: its arguments in, the process exit code out. `exitWhenDone`: a stopped agent
 * must never linger as a process, even if a library left a handle open (the inspector's
 * WebSocket reconnect timer): after a grace period the exit is forced, saying so on stderr.
 */
type Command = { summary: string; run(argv: string[]): Promise<number>; exitWhenDone?: boolean };

const FORCED_EXIT_GRACE_MS = 3000;

const COMMANDS: Record<string, Command> = {
  demo: { summary: 'run everything in one process on embedded defaults, with a scripted scenario', run: (argv) => runDemoCommand(argv), exitWhenDone: true },
  agent: { summary: 'run the agent: controller, DB watcher, gRPC southbound client, REST API', run: (argv) => runAgentCommand(argv), exitWhenDone: true },
  southbound: { summary: 'run the reference southbound agent (gRPC KV scheduler)', run: (argv) => runSouthboundCommand(argv) },
  put: { summary: 'put a Kubernetes resource or external config into etcd or the embedded store', run: (argv) => runWriterCommand(['put', ...argv]) },
  delete: { summary: 'delete a Kubernetes resource or external config', run: (argv) => runWriterCommand(['delete', ...argv]) },
  history: { summary: "print a running agent's event history (REST client)", run: (argv) => runHistoryCommand(argv) },
  resync: { summary: 'ask a running agent for a resync from the DB (REST client)', run: (argv) => runResyncCommand(argv) },
  machine: { summary: "print the controller's XState machine as JSON (Stately editor/visualizer)", run: (argv) => runMachineCommand(argv) },
};

const USAGE = `Usage: contivctl <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(12)}${command.summary}`)
  .join('\n')}

Run "contivctl <command> --help" for the options of a command.
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`contivctl: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  const code = await command.run(rest);
  if (command.exitWhenDone) {
    setTimeout(() => {
      process.stderr.write(`contivctl ${name}: stopped, but handles were still open after ${FORCED_EXIT_GRACE_MS} ms: exiting\n`);
      process.exit(code);
    }, FORCED_EXIT_GRACE_MS).unref();
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`contivctl: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
