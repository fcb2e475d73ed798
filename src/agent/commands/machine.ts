import { parseArgs } from 'node:util';
import { controllerMachine } from '../../../machines/controller.machine';
import { errorMessage, type CommandIo, defaultIo } from './io';

export const MACHINE_USAGE = `Usage: contivctl machine [options]

Prints the controller's XState machine as JSON, for the Stately editor and visualizer.

Options:
  --definition   the resolved definition (machine.toJSON(): every state node with its
                 transitions, ids and delays) instead of the machine config
  -h, --help     show this help

The default output is the machine config (the object given to setup(...).createMachine()):
paste it into the Stately editor's "Import" (as createMachine(<json>)) to see and edit the
diagram; the implementations are referenced by name and live in actors/.
`;

/** `contivctl machine ...`: resolves with the exit code. */
export async function runMachineCommand(argv: string[], io: CommandIo = defaultIo()): Promise<number> {
  let definition: boolean;
  try {
    const { values } = parseArgs({ args: argv, options: { definition: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
    if (values.help) {
      io.out(MACHINE_USAGE);
      return 0;
    }
    definition = values.definition === true;
  } catch (error) {
    io.err(`machine: ${errorMessage(error)}\n\n${MACHINE_USAGE}`);
    return 2;
  }
  const json = definition ? controllerMachine.toJSON() : controllerMachine.config;
  io.out(`${JSON.stringify(json, null, 2)}\n`);
  return 0;
}
