import type { Command } from 'commander';
import { addInspectorOptions } from './inspectorFlags';
import type { CommandRunner } from './runner';
import { addSettingOptions } from './settingOptions';

const DEMO_DESCRIPTION =
  'Runs everything in one process on embedded defaults: the reference southbound (with the network example\'s ' +
  'dependency rules) on a free loopback port, the embedded store in a temporary data directory, the agent with the ' +
  'example network handlers and the REST API; then writes a scripted scenario (namespaces, pods, a service, an ' +
  'external config change, a failing key the southbound retries, a RevertOnFailure event that reverts, a healing ' +
  'resync) and prints what happens. Stays up until Ctrl-C, so you can look at the URLs it prints.';

export function registerDemoCommand(program: Command, runner: CommandRunner): Command {
  const command = program
    .command('demo')
    .summary('run everything in one process on embedded defaults, with a scripted scenario')
    .description(DEMO_DESCRIPTION)
    .option('--exit-after-scenario', 'stop (gracefully, exit 0) once the scenario is done')
    .option('--history-out <file>', 'on exit, write the whole event history (REST JSON) to <file>');
  addInspectorOptions(command);
  addSettingOptions(command);
  command.addHelpText('after', '\nThe demo keeps its store in a temporary directory (removed on exit) unless --data-dir is given.');
  // The demo's modules (southbound, stores, network example) load only when it runs.
  return runner.action(command, async (options) => (await import('./demoRun')).runDemo(options, runner.io), { exitWhenDone: true });
}

