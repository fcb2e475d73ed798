import type { Command } from 'commander';
import { MAX_HISTORY_PAGE_SIZE } from '../rest/historyQuery';
import { errorMessage, stringOption, type CommandIo, type OptionValues } from './io';
import { historyTable, type WireRecord } from './historyTable';
import { addRestClientOptions, RestClientError, requestPage, restTarget } from './restClient';
import { EXIT, type CommandRunner } from './runner';

/** The selection options, named as the REST API's query parameters. */
const SELECTION = [
  ['seq-num', '<n>', 'one event'],
  ['since', '<unix-s>', 'events processed since ...'],
  ['until', '<unix-s>', '... and/or until these Unix times (seconds)'],
  ['from', '<n>', 'events #from ...'],
  ['to', '<n>', '... to #to (inclusive)'],
  ['first', '<n>', 'the first n events'],
  ['last', '<n>', 'the last n events'],
] as const;

const HISTORY_HELP_AFTER = `
Selection options go by precedence (the first given decides); none = everything. The agent
validates the values. The API answers in pages; this command follows them to the end.

Exit codes: 0 done, 1 the agent refused the request or cannot be reached, 2 bad usage.`;

export function registerHistoryCommand(program: Command, runner: CommandRunner): Command {
  const command = program
    .command('history')
    .summary("print a running agent's event history (REST client)")
    .description('Prints the event history of a running agent (GET /controller/event-history), oldest first, one event per line.');
  for (const [flag, value, meaning] of SELECTION) command.option(`--${flag} ${value}`, meaning);
  command.option('--page-size <n>', `records per request (1-${MAX_HISTORY_PAGE_SIZE})`, String(MAX_HISTORY_PAGE_SIZE));
  command.option('--json', "the API's JSON (one array of every record) instead of a table");
  addRestClientOptions(command);
  command.addHelpText('after', HISTORY_HELP_AFTER);
  return runner.action(command, (options) => runHistory(options, runner.io));
}

/** `contivctl history ...`: resolves with the exit code. */
async function runHistory(options: OptionValues, io: CommandIo): Promise<number> {
  try {
    const target = restTarget(options);
    const query = new URLSearchParams();
    for (const [flag] of SELECTION) {
      const value = stringOption(options, flag.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase()));
      if (value !== undefined) query.set(flag, value);
    }
    query.set('limit', stringOption(options, 'pageSize') ?? String(MAX_HISTORY_PAGE_SIZE));
    const records: WireRecord[] = [];
    let path: string | undefined = `/controller/event-history?${query}`;
    while (path !== undefined) {
      const page: { body: unknown; next?: string } = await requestPage(target, 'GET', path);
      records.push(...(page.body as WireRecord[]));
      path = page.next;
    }
    io.out(options.json === true ? `${JSON.stringify(records, null, 2)}\n` : `${historyTable(records)}\n`);
    return EXIT.ok;
  } catch (error) {
    io.err(`history: ${errorMessage(error)}\n`);
    return error instanceof RestClientError ? EXIT.failed : EXIT.usage;
  }
}
