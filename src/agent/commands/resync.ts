import { parseArgs } from 'node:util';
import { errorMessage, type CommandIo, type FlagValues, defaultIo } from './io';
import { REST_CLIENT_HELP, RestClientError, requestJson, restClientFlagOptions, restTarget } from './restClient';

export const RESYNC_USAGE = `Usage: contivctl resync [options]

Asks a running agent for a resync from the remote DB (POST /controller/resync). The resync is
queued like any event: see it with "contivctl history --last 5".

Options:
${REST_CLIENT_HELP}

Exit codes: 0 requested, 1 the agent refused the request or cannot be reached, 2 bad usage.
`;

/** `contivctl resync ...`: resolves with the exit code. */
export async function runResyncCommand(argv: string[], io: CommandIo = defaultIo()): Promise<number> {
  let values: FlagValues;
  try {
    values = parseArgs({ args: argv, options: restClientFlagOptions(), strict: true, allowPositionals: false }).values as FlagValues;
  } catch (error) {
    io.err(`resync: ${errorMessage(error)}\n\n${RESYNC_USAGE}`);
    return 2;
  }
  if (values.help === true) {
    io.out(RESYNC_USAGE);
    return 0;
  }
  try {
    await requestJson(restTarget(values), 'POST', '/controller/resync');
    io.out('resync requested\n');
    return 0;
  } catch (error) {
    io.err(`resync: ${errorMessage(error)}\n`);
    return error instanceof RestClientError ? 1 : 2;
  }
}
