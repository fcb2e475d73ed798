import type { Command } from 'commander';
import { CONFIG_FILE_ENV } from '../settings';
import { addInspectorOptions } from './inspectorFlags';
import type { CommandRunner } from './runner';
import { addSettingOptions } from './settingOptions';

const AGENT_HELP_AFTER = `
Flags beat CONTIVCTL_* variables, which beat the config file, whose keys are the dotted
names (controller.delayRetry, etcd.endpoints, ...): see "contivctl config print".

Exit codes: 0 stopped cleanly, 1 failed at run time (or the stop did not finish within
shutdownTimeout), 2 bad usage or config, 3 the controller became fatal (restart the agent),
130 forced stop.`;

export function registerAgentCommand(program: Command, runner: CommandRunner): Command {
  const command = program
    .command('agent')
    .summary('run the agent: controller, DB watcher, gRPC southbound client, REST API')
    .description(
      'Runs the controller with the DB watcher (etcd, or the embedded store), the gRPC southbound client and the REST API, ' +
        'until SIGINT/SIGTERM (a second signal forces exit with code 130).',
    )
    .option('--config <file>', `YAML or JSON config file (or ${CONFIG_FILE_ENV}=<file>)`)
    .option('--handlers <network|module.js>', 'event handlers: the example network handlers, or a module exporting createHandlers({nodeName}) or handlers', 'network')
    .option('--node-name <name>', "this node's name, for the handlers", 'node-1')
    .option('--history-out <file>', 'on exit, write the whole event history (REST JSON) to <file>')
    .option('--stay-on-fatal', 'keep running when the controller becomes fatal (for debugging); by default the agent exits with code 3');
  addInspectorOptions(command);
  addSettingOptions(command);
  command.addHelpText('after', AGENT_HELP_AFTER);
  // The agent's modules (controller, stores, gRPC, REST) load only when it runs: --help stays quick.
  return runner.action(command, async (options) => (await import('./agentRun')).runAgent(options, runner.io), { exitWhenDone: true });
}

