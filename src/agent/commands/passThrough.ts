import type { Command } from 'commander';
import type { CommandRunner } from './runner';

/**
 * A command whose options another module parses (the reference southbound, the writer tool):
 * everything after its name is handed over as it is, `--help` included.
 */
export function registerPassThroughCommand(
  program: Command,
  runner: CommandRunner,
  spec: { name: string; summary: string; run(argv: string[]): Promise<number> },
): Command {
  const command = program
    .command(spec.name)
    .summary(spec.summary)
    .description(`${spec.summary}. Its options: "contivctl ${spec.name} --help".`)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .passThroughOptions()
    .argument('[options...]');
  return runner.action(command, (_options, parsed) => spec.run(parsed.args));
}
