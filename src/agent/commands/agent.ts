import type { Command } from 'commander';
import { DataDirError } from '../../dbwatcher/errors';
import { AgentConfigError, loadAgentConfig, type AgentConfig } from '../config';
import { startAgent, type RunningAgent } from '../agentProcess';
import { createAgentLogger } from '../logging';
import { CONFIG_FILE_ENV } from '../settings';
import { loadHandlers, type HandlerSet } from './handlersOption';
import { addInspectorOptions, startInspectorFromOptions } from './inspectorFlags';
import { errorMessage, stringOption, type CommandIo, type OptionValues } from './io';
import { runUntilSignal } from './lifecycle';
import { EXIT, type CommandRunner } from './runner';
import { addSettingOptions, settingFlagValues } from './settingOptions';
import { firstShutdownSignal } from './signals';
import { startFailureMessage } from './startFailure';

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
  return runner.action(command, (options) => runAgent(options, runner.io), { exitWhenDone: true });
}

/** `contivctl agent ...`: resolves with the exit code. */
async function runAgent(options: OptionValues, io: CommandIo): Promise<number> {
  let config: AgentConfig;
  try {
    config = loadAgentConfig({ file: stringOption(options, 'config'), flags: settingFlagValues(options) });
  } catch (error) {
    io.err(`agent: ${errorMessage(error)}\n`);
    return error instanceof AgentConfigError ? EXIT.usage : EXIT.failed;
  }
  let handlerSet: HandlerSet;
  try {
    handlerSet = loadHandlers(stringOption(options, 'handlers') ?? 'network', stringOption(options, 'nodeName') ?? 'node-1');
  } catch (error) {
    // A module that cannot be loaded, or handler options they refuse (e.g. a bad node name).
    io.err(`agent: ${errorMessage(error)}\n`);
    return EXIT.usage;
  }
  const logger = createAgentLogger(config.log);
  const signal = firstShutdownSignal(logger);
  const inspector = await startInspectorFromOptions(options, logger, io);
  if (inspector === 'failed') return EXIT.failed;
  let agent: RunningAgent;
  try {
    agent = await startAgent(config, { ...handlerSet, logger, inspect: inspector?.inspect });
  } catch (error) {
    // Said once, on stderr, with what to do: nothing ran yet that a log reader would miss.
    io.err(`agent: ${startFailureMessage(error)}\n`);
    await inspector?.close();
    // A damaged store or a data directory in use is for the operator to fix, like a bad config.
    return error instanceof AgentConfigError || error instanceof DataDirError ? EXIT.usage : EXIT.failed;
  }
  const code = await runUntilSignal(agent, logger, {
    historyOut: stringOption(options, 'historyOut'),
    signal,
    stayOnFatal: options.stayOnFatal === true,
    shutdownTimeoutMs: config.shutdownTimeout,
  });
  await inspector?.close();
  return code;
}
