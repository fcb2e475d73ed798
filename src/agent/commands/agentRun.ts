import { DataDirError } from '../../dbwatcher/errors';
import { AgentConfigError, loadAgentConfig, type AgentConfig } from '../config';
import { startAgent, type RunningAgent } from '../agentProcess';
import { createAgentLogger } from '../logging';
import { loadHandlers, type HandlerSet } from './handlersOption';
import { startInspectorFromOptions } from './inspectorFlags';
import { errorMessage, stringOption, type CommandIo, type OptionValues } from './io';
import { runUntilSignal } from './lifecycle';
import { EXIT } from './runner';
import { settingFlagValues } from './settingOptions';
import { firstShutdownSignal } from './signals';
import { startFailureMessage } from './startFailure';

/** `contivctl agent ...`: resolves with the exit code. */
export async function runAgent(options: OptionValues, io: CommandIo): Promise<number> {
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
