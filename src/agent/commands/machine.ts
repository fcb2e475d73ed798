import type { Command } from 'commander';
import type { CommandIo, OptionValues } from './io';
import { EXIT, type CommandRunner } from './runner';

export function registerMachineCommand(program: Command, runner: CommandRunner): Command {
  const command = program
    .command('machine')
    .summary("print the controller's XState machine as JSON (Stately editor/visualizer)")
    .description(
      "Prints the controller's XState machine as JSON, for the Stately editor and visualizer: the machine config (the object given " +
        'to setup(...).createMachine()); paste it into the editor\'s "Import" as createMachine(<json>). Guards, actions and actors ' +
        'appear by name (their implementations live in actors/); the built-in actions XState makes inline by their type ' +
        '(xstate.assign with the keys it assigns, xstate.sendTo with its target).',
    )
    .option('--definition', 'the resolved definition (machine.toJSON(): every state node with its transitions, ids and delays) instead');
  return runner.action(command, (options) => runMachine(options, runner.io));
}

async function runMachine(options: OptionValues, io: CommandIo): Promise<number> {
  const { machineJson } = await import('./machineJson');
  io.out(`${machineJson(options.definition === true)}\n`);
  return EXIT.ok;
}
