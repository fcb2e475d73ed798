import type { Command } from 'commander';
import { controllerMachine } from '../../../machines/controller.machine';
import type { CommandIo, OptionValues } from './io';
import { EXIT, type CommandRunner } from './runner';

/**
 * Functions of the machine config as JSON: the named implementations are strings already; the
 * built-in actions XState makes inline (`assign(...)`, `sendTo(...)`) are functions, which
 * JSON.stringify would print as `null`. They appear by their XState type, with what they assign
 * or whom they send to.
 */
function describeFunction(value: (...args: unknown[]) => unknown): unknown {
  const action = value as { type?: unknown; assignment?: unknown; to?: unknown };
  if (typeof action.type !== 'string') return { type: value.name || 'inline function' };
  return {
    type: action.type,
    ...(action.assignment !== null && typeof action.assignment === 'object' && { assigns: Object.keys(action.assignment) }),
    ...(typeof action.to === 'string' && { to: action.to }),
  };
}

/** The machine as JSON: every action, guard and actor by name. */
export function machineJson(definition: boolean): string {
  const json: unknown = definition ? controllerMachine.toJSON() : controllerMachine.config;
  return JSON.stringify(json, (_key, value: unknown) => (typeof value === 'function' ? describeFunction(value as () => unknown) : value), 2);
}

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
  io.out(`${machineJson(options.definition === true)}\n`);
  return EXIT.ok;
}
