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

const NON_NEGATIVE_INTEGER = /^\d+$/;

function isHistoryParameter(name: string): name is HistoryParameter {
  return Object.prototype.hasOwnProperty.call(HISTORY_PARAMETERS, name);
}

function parseNonNegativeInteger(parameter: string, raw: unknown): number {
  if (Array.isArray(raw)) throw new InvalidRequestParameterError(parameter, raw, 'given more than once');
  if (typeof raw !== 'string' || raw === '') throw new InvalidRequestParameterError(parameter, raw ?? '', 'expected a non-negative integer');
  if (raw.startsWith('-') && NON_NEGATIVE_INTEGER.test(raw.slice(1))) {
    throw new InvalidRequestParameterError(parameter, raw, 'must not be negative');
  }
  if (!NON_NEGATIVE_INTEGER.test(raw)) throw new InvalidRequestParameterError(parameter, raw, 'expected a non-negative integer');
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new InvalidRequestParameterError(parameter, raw, 'too large');
  return value;
}

/**
 * Turns the query string of `GET /controller/event-history` into the controller's
 * `EventHistoryQuery`. Every given parameter is validated, even one that a parameter of higher
 * precedence will override: a typo should not pass silently. Unknown parameters are rejected
 * for the same reason (`seqNum` instead of `seq-num` would otherwise return everything).
 */
export function parseHistoryQuery(raw: Readonly<Record<string, unknown>>): EventHistoryQuery {
  const query: EventHistoryQuery = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!isHistoryParameter(name)) {
      throw new InvalidRequestParameterError(name, value, `unknown parameter; expected one of ${Object.keys(HISTORY_PARAMETERS).join(', ')}`);
    }
    query[HISTORY_PARAMETERS[name]] = parseNonNegativeInteger(name, value);
  }
  if (query.since !== undefined && query.until !== undefined && query.since > query.until) {
    throw new InvalidRequestParameterError('until', String(query.until), `must not be before since (${query.since})`);
  }
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    throw new InvalidRequestParameterError('to', String(query.to), `must not be below from (${query.from})`);
  }
  return query;
}
