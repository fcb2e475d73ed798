#!/usr/bin/env node
import { runWriterCommand } from '../dbwatcher/writerCommand';
import { runSouthboundCommand } from '../southbound/agent/cli';

/** One subcommand: its arguments in, the process exit code out. */
type Command = { summary: string; run(argv: string[]): Promise<number> };

const COMMANDS: Record<string, Command> = {
  southbound: { summary: 'run the reference southbound agent (gRPC KV scheduler)', run: (argv) => runSouthboundCommand(argv) },
  put: { summary: 'put a Kubernetes resource or external config into etcd or the embedded store', run: (argv) => runWriterCommand(['put', ...argv]) },
  delete: { summary: 'delete a Kubernetes resource or external config', run: (argv) => runWriterCommand(['delete', ...argv]) },
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
  return command.run(rest);
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
