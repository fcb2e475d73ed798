import { parseArgs } from 'node:util';
import type { EventRecord } from '../../api/history';
import { errorMessage, stringFlag, type CommandIo, type FlagValues, defaultIo } from './io';
import { REST_CLIENT_HELP, RestClientError, requestJson, restClientFlagOptions, restTarget } from './restClient';

export const HISTORY_USAGE = `Usage: contivctl history [options]

Prints the event history of a running agent (GET /controller/event-history), oldest first.

Selection (by precedence; none = everything; the agent validates the values):
  --seq-num <n>        one event
  --since <unix-s>     events processed since ...
  --until <unix-s>     ... and/or until these Unix times (seconds)
  --from <n>           events #from ...
  --to <n>             ... to #to (inclusive)
  --first <n>          the first n events
  --last <n>           the last n events
Output:
  --json               the API's JSON instead of one line per event
${REST_CLIENT_HELP}

Exit codes: 0 done, 1 the agent refused the request or cannot be reached, 2 bad usage.
`;

const QUERY_FLAGS = ['seq-num', 'since', 'until', 'from', 'to', 'first', 'last'] as const;

/** Records as the REST API serializes them (bigints as strings). */
type WireRecord = Omit<EventRecord, 'txn'> & { txn?: { seqNum?: string } };

/** One line per event: `#seq time name [follow-up] description | handlers | txn | error`. */
export function formatRecord(record: WireRecord): string {
  const time = new Date(record.processingStart).toISOString().slice(11, 23);
  const parts = [`#${record.seqNum}`.padEnd(6), time, record.name];
  if (record.isFollowUp) parts.push(`(follow-up to #${record.followUpTo})`);
  parts.push(`- ${record.description.split('\n')[0]}`);
  const handlers = record.handlers.map((h) => `${h.handler}${h.revert ? ' (revert)' : ''}${h.error ? ` ERROR: ${h.error}` : ''}`);
  if (handlers.length > 0) parts.push(`| ${handlers.join(', ')}`);
  if (record.txn?.seqNum !== undefined) parts.push(`| txn #${record.txn.seqNum}`);
  if (record.txnError) parts.push(`| TXN ERROR: ${record.txnError}`);
  return parts.join(' ');
}

/** `contivctl history ...`: resolves with the exit code. */
export async function runHistoryCommand(argv: string[], io: CommandIo = defaultIo()): Promise<number> {
  let values: FlagValues;
  try {
    const options = { ...restClientFlagOptions(), json: { type: 'boolean' as const } };
    for (const flag of QUERY_FLAGS) Object.assign(options, { [flag]: { type: 'string' } });
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as FlagValues;
  } catch (error) {
    io.err(`history: ${errorMessage(error)}\n\n${HISTORY_USAGE}`);
    return 2;
  }
  if (values.help === true) {
    io.out(HISTORY_USAGE);
    return 0;
  }
  try {
    const target = restTarget(values);
    const query = new URLSearchParams();
    for (const flag of QUERY_FLAGS) {
      const value = stringFlag(values, flag);
      if (value !== undefined) query.set(flag, value);
    }
    const body = await requestJson(target, 'GET', `/controller/event-history${query.size > 0 ? `?${query}` : ''}`);
    if (values.json === true) io.out(`${JSON.stringify(body, null, 2)}\n`);
    else for (const record of body as WireRecord[]) io.out(`${formatRecord(record)}\n`);
    return 0;
  } catch (error) {
    io.err(`history: ${errorMessage(error)}\n`);
    return error instanceof RestClientError ? 1 : 2;
  }
}
