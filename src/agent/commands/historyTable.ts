import type { EventRecord } from '../../api/history';
import { alignedTable } from './textTable';

/** Records as the REST API serializes them (bigints as strings). */
export type WireRecord = Omit<EventRecord, 'txn'> & { txn?: { seqNum?: string } };

/** Characters of the KEYS cell kept; the full text is in `--json`. */
const CELL_CHARS = 48;
/** RESULT is the last column: longer, so that an error keeps its cause. */
const RESULT_CHARS = 120;
/** Keys named in a cell, then `(+N)`. */
const CELL_KEYS = 3;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Local date and time with the UTC offset (TZ applies), e.g. `2026-12-01` and `19:00:05.007+01:00`. */
export function localDateTime(epochMs: number): { date: string; time: string } {
  const d = new Date(epochMs);
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const zone = `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return {
    date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    time: `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${zone}`,
  };
}

function cut(text: string, chars = CELL_CHARS): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

function keyList(items: string[]): string {
  const shown = items.slice(0, CELL_KEYS).join(', ');
  return items.length > CELL_KEYS ? `${shown} (+${items.length - CELL_KEYS})` : shown;
}

/**
 * The key(s) an event is about, from its description (the events' `toString()`: ` * key: k`,
 * ` * updated keys: [a, b]`, ` * 12 x pod: [...]`); for other events, their description when it
 * says more than their name. Display only: nothing branches on it.
 */
export function eventKeys(record: Pick<WireRecord, 'name' | 'description'>): string {
  const [first = '', ...lines] = record.description.split('\n');
  const keys: string[] = [];
  const counts: string[] = [];
  for (const line of lines) {
    const key = /^ \* key: (.*)$/.exec(line);
    if (key) keys.push(key[1]);
    const list = /^ \* (?:updated )?keys: \[(.*)\]$/.exec(line);
    if (list && list[1] !== '') keys.push(...list[1].split(', '));
    const count = /^ \* (\d+) x ([^:]+): /.exec(line);
    if (count) counts.push(`${count[1]} ${count[2]}`);
  }
  if (keys.length > 0) return cut(keyList(keys));
  if (counts.length > 0) return cut(counts.join(', '));
  const details = lines.map((line) => line.replace(/^ \* /, '')).filter((line) => line !== '');
  // The first line repeats the name, sometimes with more: "Healing Resync (after error: ...)".
  const more = first.startsWith(record.name) ? first.slice(record.name.length).replace(/^[\s(:-]+|\)$/g, '') : first;
  if (more !== '') details.unshift(more);
  return cut(details.join('; '));
}

/** `ok`, or what failed first: a handler's error, else the transaction's. */
export function eventResult(record: WireRecord): string {
  const failed = record.handlers.find((call) => call.error !== undefined);
  if (failed) return cut(`error: ${failed.handler}${failed.revert ? ' (revert)' : ''}: ${failed.error}`, RESULT_CHARS);
  if (record.txnError) return cut(`error: txn: ${record.txnError}`, RESULT_CHARS);
  return 'ok';
}

/** The history as aligned columns: date, time, seq, event (named once), key(s), duration, txn, result. */
export function historyTable(records: readonly WireRecord[]): string {
  const rows = records.map((record) => {
    const { date, time } = localDateTime(record.processingStart);
    const event = record.isFollowUp ? `${record.name} (after #${record.followUpTo})` : record.name;
    const txn = record.txn?.seqNum !== undefined ? `#${record.txn.seqNum}` : '';
    return [date, time, `#${record.seqNum}`, event, eventKeys(record), `${record.processingEnd - record.processingStart} ms`, txn, eventResult(record)];
  });
  return alignedTable(['DATE', 'TIME', 'SEQ', 'EVENT', 'KEYS', 'DURATION', 'TXN', 'RESULT'], rows, ['left', 'left', 'right', 'left', 'left', 'right', 'right', 'left']);
}
