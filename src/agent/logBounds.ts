import { grpcMessage } from '../grpcMessage';

/**
 * Bounds on what one log record may hold, so that a 5,000-pod resync or a deep error chain never
 * turns into a 400 KB log line or a 500-line banner. The full data stays in the event history
 * (`GET /controller/event-history`); the log says what happened, in a bounded size.
 * docs/operations.md ("Logs") documents these figures.
 */
export const LOG_LIMITS = Object.freeze({
  /** Items of a list kept: an array, or a `[a, b, c]` list inside a text (`[a, b, … (+4980)]`). */
  listItems: 20,
  /** Characters of one text value kept (`… (+N chars)` tells how much was cut). */
  textChars: 2000,
  /** Lines of an error's stack kept. */
  stackLines: 12,
  /** Causes of an error listed (its `cause`, the cause's cause, ...). */
  causes: 4,
  /** Keys of one object kept, and how deep objects are followed. */
  objectKeys: 50,
  depth: 5,
  /** A record still longer than this (in characters of JSON) is replaced by a short notice. */
  lineChars: 32 * 1024,
});

const ELLIPSIS = '…';

/** `[a, b, c, ...]` lists without nested brackets, as event descriptions render key lists. */
const BRACKETED_LIST = /\[([^[\]]*)\]/g;

function boundList(items: string): string {
  const parts = items.split(', ');
  if (parts.length <= LOG_LIMITS.listItems) return `[${items}]`;
  return `[${parts.slice(0, LOG_LIMITS.listItems).join(', ')}, ${ELLIPSIS} (+${parts.length - LOG_LIMITS.listItems})]`;
}

/**
 * A text within the limits: long `[a, b, ...]` lists keep their first items and say how many
 * more there were, then the text is cut at `textChars`.
 */
export function boundText(text: string): string {
  let bounded = text;
  // Only long texts can hold a long list: short ones skip the scan.
  if (bounded.length > LOG_LIMITS.listItems * 4) bounded = bounded.replace(BRACKETED_LIST, (_match, items: string) => boundList(items));
  if (bounded.length <= LOG_LIMITS.textChars) return bounded;
  return `${bounded.slice(0, LOG_LIMITS.textChars)}${ELLIPSIS} (+${bounded.length - LOG_LIMITS.textChars} chars)`;
}

function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { type: error.name, message: boundText(grpcMessage(error)) };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') fields.code = code;
  return fields;
}

/**
 * An error as a log value: its type, message and code, a bounded stack, and its chain of causes
 * (type, message, code each) up to `causes`. The object has no prototype and no `cause` key, so
 * pino's error serializer keeps it as it is instead of appending every cause's message and stack
 * again (which doubles texts like "EADDRINUSE").
 */
export function boundError(error: Error): Record<string, unknown> {
  const bounded: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, errorFields(error));
  if (typeof error.stack === 'string') {
    const lines = error.stack.split('\n');
    bounded.stack = lines.length <= LOG_LIMITS.stackLines ? error.stack : [...lines.slice(0, LOG_LIMITS.stackLines), `    ${ELLIPSIS} (+${lines.length - LOG_LIMITS.stackLines} lines)`].join('\n');
  }
  const causes: Record<string, unknown>[] = [];
  const seen = new Set<unknown>([error]);
  let cause: unknown = error.cause;
  while (cause !== undefined && cause !== null && !seen.has(cause)) {
    if (causes.length === LOG_LIMITS.causes) {
      causes.push({ message: `${ELLIPSIS} (more causes)` });
      break;
    }
    seen.add(cause);
    causes.push(cause instanceof Error ? errorFields(cause) : { message: boundText(String(cause)) });
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (causes.length > 0) bounded.causes = causes;
  return bounded;
}

/** Any log value within the limits (texts, lists, objects, errors). */
export function boundValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return boundText(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return boundError(value);
  if (depth >= LOG_LIMITS.depth) return `${ELLIPSIS} (nested too deep)`;
  if (Array.isArray(value)) {
    const kept = value.slice(0, LOG_LIMITS.listItems).map((item) => boundValue(item, depth + 1));
    if (value.length > LOG_LIMITS.listItems) kept.push(`${ELLIPSIS} (+${value.length - LOG_LIMITS.listItems})`);
    return kept;
  }
  // Only plain records are walked: class instances (a Buffer, a protobuf message) keep their own toJSON.
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  const out: Record<string, unknown> = {};
  let count = 0;
  for (const [key, item] of Object.entries(value)) {
    if (count++ === LOG_LIMITS.objectKeys) {
      out[ELLIPSIS] = `+${Object.keys(value).length - LOG_LIMITS.objectKeys} keys`;
      break;
    }
    out[key] = boundValue(item, depth + 1);
  }
  return out;
}

/** pino's `formatters.log`: the record's fields within the limits. */
export function boundLogRecord(record: Record<string, unknown>): Record<string, unknown> {
  return boundValue(record) as Record<string, unknown>;
}

/**
 * pino's `hooks.streamWrite`: the last guard. A line still longer than `lineChars` (a message
 * that is itself huge, say) becomes a short record that says so, rather than flooding a log
 * collector.
 */
export function boundLogLine(line: string): string {
  if (line.length <= LOG_LIMITS.lineChars) return line;
  let head: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    head = { level: parsed.level, time: parsed.time, name: parsed.name, component: parsed.component, seqNum: parsed.seqNum };
    head.msg = boundText(String(parsed.msg ?? '')).slice(0, 200);
  } catch {
    head.msg = line.slice(0, 200);
  }
  return `${JSON.stringify({ ...head, truncated: true, originalChars: line.length })}\n`;
}
