import { parseArgs } from 'node:util';
import { DataDirError } from '../../dbwatcher/errors';
import { AgentConfigError, loadAgentConfig, type AgentConfig } from '../config';
import { startAgent, type RunningAgent } from '../agentProcess';
import { createAgentLogger } from '../logging';
import { CONFIG_FILE_ENV } from '../settings';
import { loadHandlers, type HandlerSet } from './handlersOption';
import { inspectorFlagOptions, inspectorHelp, startInspectorFromFlags } from './inspectorFlags';
import { runUntilSignal } from './lifecycle';
import { firstShutdownSignal } from './signals';
import { settingFlagOptions, settingFlagValues, settingsHelp } from './settingFlags';
import { type CommandIo, type FlagValues, defaultIo, errorMessage, stringFlag } from './io';

export const AGENT_USAGE = `Usage: contivctl agent [options]

Runs the controller with the DB watcher (etcd, or the embedded store), the gRPC southbound
client and the REST API, until SIGINT/SIGTERM (a second signal forces exit with code 130).

Options:
  --config <file>                  YAML or JSON config file (or ${CONFIG_FILE_ENV}=<file>)
  --handlers <network|module.js>   event handlers: the example network handlers (default), or a
                                   module exporting createHandlers({nodeName}) or handlers
  --node-name <name>               this node's name, for the handlers [node-1]
  --history-out <file>             on exit, write the whole event history (REST JSON) to <file>
  --stay-on-fatal                  keep running when the controller becomes fatal (for debugging);
                                   by default the agent stops and exits with code 3
${inspectorHelp()}
  -h, --help                       show this help

Settings (flag, environment variable, meaning [default]); flags beat variables, which beat the
config file, whose keys are the dotted names (controller.delayRetry, etcd.endpoints, ...):
${settingsHelp()}

Exit codes: 0 stopped cleanly, 1 failed at run time, 2 bad usage or config, 3 the controller
became fatal (restart the agent), 130 forced stop.
`;

function parse(argv: string[]): FlagValues {
  return parseArgs({
    args: argv,
    options: {
      ...settingFlagOptions(),
      ...inspectorFlagOptions(),
      config: { type: 'string' },
      handlers: { type: 'string' },
      'node-name': { type: 'string' },
      'history-out': { type: 'string' },
      'stay-on-fatal': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }).values as FlagValues;
}

/** `contivctl agent ...`: resolves with the exit code. */
export async function runAgentCommand(argv: string[], io: CommandIo = defaultIo()): Promise<number> {
  let values: FlagValues;
  let config: AgentConfig;
  try {
    values = parse(argv);
    if (values.help) {
      io.out(AGENT_USAGE);
      return 0;
    }
    config = loadAgentConfig({ file: stringFlag(values, 'config'), flags: settingFlagValues(values) });
  } catch (error) {
    io.err(`agent: ${errorMessage(error)}\n${error instanceof AgentConfigError ? '' : '\nRun "contivctl agent --help" for the options.\n'}`);
    return 2;
  }
  const logger = createAgentLogger(config.log);
  const signal = firstShutdownSignal(logger);
  let handlerSet: HandlerSet;
  try {
    handlerSet = loadHandlers(stringFlag(values, 'handlers') ?? 'network', stringFlag(values, 'node-name') ?? 'node-1');
  } catch (error) {
    // A module that cannot be loaded, or handler options they refuse (e.g. a bad node name).
    io.err(`agent: ${errorMessage(error)}\n`);
    return 2;
  }
  const inspector = await startInspectorFromFlags(values, logger, io);
  if (inspector === 'failed') return 1;
  let agent: RunningAgent;
  try {
    agent = await startAgent(config, { ...handlerSet, logger, inspect: inspector?.inspect });
  } catch (error) {
    logger.fatal({ err: error }, 'agent failed to start');
    io.err(`agent: ${errorMessage(error)}\n`);
    await inspector?.close();
    // A damaged store or a data directory in use is for the operator to fix, like a bad config.
    return error instanceof AgentConfigError || error instanceof DataDirError ? 2 : 1;
  }
  const code = await runUntilSignal(agent, logger, stringFlag(values, 'history-out'), signal, { stayOnFatal: values['stay-on-fatal'] === true });
  await inspector?.close();
  return code;
}
