import { Command, CommanderError } from 'commander';
import { registerAgentCommand } from '../agent/commands/agent';
import { registerConfigCommand } from '../agent/commands/configPrint';
import { registerDemoCommand } from '../agent/commands/demo';
import { registerHistoryCommand } from '../agent/commands/history';
import { defaultIo, type CommandIo } from '../agent/commands/io';
import { registerMachineCommand } from '../agent/commands/machine';
import { registerPassThroughCommand } from '../agent/commands/passThrough';
import { registerResyncCommand } from '../agent/commands/resync';
import { EXIT, type CommandRunner } from '../agent/commands/runner';
import { packageVersion } from '../agent/packageVersion';
import { helpConfiguration, helpWidth } from './help';

/** How a run of contivctl ended. */
export interface CliOutcome {
  code: number;
  /** The command ran an agent: the process must end even if a library left a handle open. */
  exitWhenDone: boolean;
}

/** Every command's errors start with its path (`agent: ...`, `config print: ...`), as its own messages do. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ') || 'contivctl';
}

/**
 * The contivctl command line (commander): subcommands, `--version`, `--no-x` booleans, "did you
 * mean" suggestions, help wrapped to the terminal. Usage errors exit with 2; each command's
 * action resolves with its own exit code (docs/operations.md lists them).
 */
export async function runContivctl(argv: string[], io: CommandIo = defaultIo()): Promise<CliOutcome> {
  const outcome: CliOutcome = { code: EXIT.ok, exitWhenDone: false };
  const program = new Command('contivctl')
    .description('The Contiv-VPP controller re-implemented: the agent, its tools and its REST clients.')
    .version(`contivctl ${packageVersion()} (node ${process.version})`, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show the help of a command')
    .enablePositionalOptions()
    .configureHelp(helpConfiguration(helpWidth()))
    .configureOutput({
      writeOut: (text) => io.out(text),
      writeErr: (text) => io.err(text),
      outputError: (text, write) => write(`contivctl: ${text.replace(/^error: /, '')}`),
    })
    .showSuggestionAfterError(true)
    .exitOverride();
  program.addHelpText('after', '\nRun "contivctl <command> --help" for the options of a command.');

  const runner: CommandRunner = {
    io,
    action(command, run, settings) {
      command
        .configureOutput({ outputError: (text, write) => write(`${commandPath(command)}: ${text.replace(/^error: /, '')}`) })
        .showHelpAfterError(`Run "contivctl ${commandPath(command)} --help" for the options.`);
      return command.action(async (...args: unknown[]) => {
        const parsed = args[args.length - 1] as Command;
        outcome.exitWhenDone = settings?.exitWhenDone === true;
        outcome.code = await run(parsed.opts(), parsed);
      });
    },
  };
  registerDemoCommand(program, runner);
  registerAgentCommand(program, runner);
  registerPassThroughCommand(program, runner, {
    name: 'southbound',
    summary: 'run the reference southbound agent (gRPC KV scheduler)',
    run: async (args) => (await import('../southbound/agent/cli')).runSouthboundCommand(args),
  });
  registerPassThroughCommand(program, runner, {
    name: 'put',
    summary: 'put a Kubernetes resource or external config into etcd or the embedded store',
    run: async (args) => (await import('../dbwatcher/writerCommand')).runWriterCommand(['put', ...args]),
  });
  registerPassThroughCommand(program, runner, { name: 'delete', summary: 'delete a Kubernetes resource or external config', run: async (args) => (await import('../dbwatcher/writerCommand')).runWriterCommand(['delete', ...args]),
  });
  registerHistoryCommand(program, runner);
  registerResyncCommand(program, runner);
  registerMachineCommand(program, runner);
  registerConfigCommand(program, runner);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // `--pretty true`, as the command line before commander wanted it.
    if (error.code === 'commander.excessArguments') io.err('Flags such as --pretty take no value: write --pretty, or --no-pretty to turn one off.\n');
    // Help and --version exit 0; a missing or unknown command, flag or value is a usage error.
    return { code: error.exitCode === 0 ? EXIT.ok : EXIT.usage, exitWhenDone: false };
  }
  return outcome;
}
