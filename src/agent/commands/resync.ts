import type { Command } from 'commander';
import { errorMessage, type CommandIo, type OptionValues } from './io';
import { addRestClientOptions, RestClientError, requestJson, restTarget } from './restClient';
import { EXIT, type CommandRunner } from './runner';

export function registerResyncCommand(program: Command, runner: CommandRunner): Command {
  const command = program
    .command('resync')
    .summary('ask a running agent for a resync from the DB (REST client)')
    .description(
      'Asks a running agent for a resync from the remote DB (POST /controller/resync). The resync is queued like any event: see it with "contivctl history --last 5".',
    );
  addRestClientOptions(command);
  command.addHelpText('after', '\nExit codes: 0 requested, 1 the agent refused the request or cannot be reached, 2 bad usage.');
  return runner.action(command, (options) => runResync(options, runner.io));
}

/** `contivctl resync ...`: resolves with the exit code. */
async function runResync(options: OptionValues, io: CommandIo): Promise<number> {
  try {
    await requestJson(restTarget(options), 'POST', '/controller/resync');
    io.out('resync requested\n');
    return EXIT.ok;
  } catch (error) {
    io.err(`resync: ${errorMessage(error)}\n`);
    return error instanceof RestClientError ? EXIT.failed : EXIT.usage;
  }
}
