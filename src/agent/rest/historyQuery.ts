import type { EventHistoryQuery } from '../../api/history';
import { InvalidRequestParameterError } from './errors';

/** The query-string names of `GET /controller/event-history` (the original's) -> the controller's query keys. */
export const HISTORY_PARAMETERS = {
  'seq-num': 'seqNum',
  since: 'since',
  until: 'until',
  from: 'from',
  to: 'to',
  first: 'first',
  last: 'last',
} as const satisfies Record<string, keyof EventHistoryQuery>;

export type HistoryParameter = keyof typeof HISTORY_PARAMETERS;

/** Records in a page when the request names no `limit`. */
export const DEFAULT_HISTORY_PAGE_SIZE = 100;
/** The largest `limit` accepted: a page is serialised in slices, but its size still bounds a reply. */
export const MAX_HISTORY_PAGE_SIZE = 1000;

const PAGE_PARAMETERS = ['limit', 'cursor'] as const;

/**
 * Where the next page starts: after sequence number `after`, up to `end` (the last record the
 * first page's selection had). Every selection is a run of consecutive records (by sequence
 * number, or by time, which grows with it), so a cursor names the rest of it exactly, however
 * many events come in between. On the wire: `<after>.<end>`.
 */
export interface HistoryCursor {
  after: number;
  end: number;
}

export interface HistoryRequest {
  query: EventHistoryQuery;
  limit: number;
  cursor?: HistoryCursor;
}

const NON_NEGATIVE_INTEGER = /^\d+$/;

function isHistoryParameter(name: string): name is HistoryParameter {
  return Object.prototype.hasOwnProperty.call(HISTORY_PARAMETERS, name);
}

function single(parameter: string, raw: unknown): string {
  if (Array.isArray(raw)) throw new InvalidRequestParameterError(parameter, raw, 'given more than once');
  if (typeof raw !== 'string' || raw === '') throw new InvalidRequestParameterError(parameter, raw ?? '', 'expected a non-negative integer');
  return raw;
}

/** A query parameter that must be a non-negative safe integer, given once. */
export function parseNonNegativeInteger(parameter: string, rawValue: unknown): number {
  const raw = single(parameter, rawValue);
  if (raw.startsWith('-') && NON_NEGATIVE_INTEGER.test(raw.slice(1))) {
    throw new InvalidRequestParameterError(parameter, raw, 'must not be negative');
  }
  if (!NON_NEGATIVE_INTEGER.test(raw)) throw new InvalidRequestParameterError(parameter, raw, 'expected a non-negative integer');
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new InvalidRequestParameterError(parameter, raw, 'too large');
  return value;
}

function parseCursor(rawValue: unknown): HistoryCursor {
  if (Array.isArray(rawValue)) throw new InvalidRequestParameterError('cursor', rawValue, 'given more than once');
  const raw = typeof rawValue === 'string' ? rawValue : '';
  const match = /^(\d+)\.(\d+)$/.exec(raw);
  const cursor = match ? { after: Number(match[1]), end: Number(match[2]) } : undefined;
  if (!cursor || !Number.isSafeInteger(cursor.after) || !Number.isSafeInteger(cursor.end) || cursor.after >= cursor.end) {
    throw new InvalidRequestParameterError('cursor', raw, 'not a cursor of this API: pass on the one of the Link header as it is');
  }
  return cursor;
}

/**
 * Turns the query string of `GET /controller/event-history` into the controller's
 * `EventHistoryQuery` and the page asked for. Every given parameter is validated, even one that
 * a parameter of higher precedence will override: a typo should not pass silently. Unknown
 * parameters are rejected for the same reason (`seqNum` instead of `seq-num` would otherwise
 * return everything).
 */
export function parseHistoryRequest(raw: Readonly<Record<string, unknown>>): HistoryRequest {
  const query: EventHistoryQuery = {};
  let limit = DEFAULT_HISTORY_PAGE_SIZE;
  let cursor: HistoryCursor | undefined;
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'limit') {
      limit = parseNonNegativeInteger(name, value);
      if (limit < 1 || limit > MAX_HISTORY_PAGE_SIZE) throw new InvalidRequestParameterError(name, value, `must be 1 to ${MAX_HISTORY_PAGE_SIZE}`);
    } else if (name === 'cursor') {
      cursor = parseCursor(value);
    } else if (isHistoryParameter(name)) {
      query[HISTORY_PARAMETERS[name]] = parseNonNegativeInteger(name, value);
    } else {
      throw new InvalidRequestParameterError(name, value, `unknown parameter; expected one of ${[...Object.keys(HISTORY_PARAMETERS), ...PAGE_PARAMETERS].join(', ')}`);
    }
  }
  if (query.since !== undefined && query.until !== undefined && query.since > query.until) {
    throw new InvalidRequestParameterError('until', String(query.until), `must not be before since (${query.since})`);
  }
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    throw new InvalidRequestParameterError('to', String(query.to), `must not be below from (${query.from})`);
  }
  return { query, limit, ...(cursor && { cursor }) };
}
