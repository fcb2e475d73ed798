/**
 * The `--pretty` rendering of the agent's pino JSON lines, for people reading a terminal. The
 * controller's 'new event' and 'finalized event' lines become the banners the original Contiv
 * controller prints (a row of `>` / `<`, starred lines, the sequence number on the right);
 * every other line becomes `time LEVEL [component] message key=value ...`.
 */

const WIDTH = 130;
const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
// Fields every line has, or that the one-line form shows in its own place.
const HIDDEN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'name', 'component', 'v']);

type LogLine = Record<string, unknown>;

/**
 * Splits text into lines of at most `limit` characters at spaces. Lines after the first (its
 * other paragraphs and wrapped continuations) are indented by `indent`; a paragraph's own
 * leading spaces are kept.
 */
export function wrap(text: string, limit: number, indent = 6): string[] {
  const lines: string[] = [];
  text.split('\n').forEach((paragraph, index) => {
    const own = /^ */.exec(paragraph)?.[0] ?? '';
    const lead = (index === 0 ? '' : ' '.repeat(indent)) + own;
    let line = lead;
    for (const word of paragraph.slice(own.length).split(' ')) {
      if (line.length > lead.length && line.length + 1 + word.length > limit) {
        lines.push(line);
        line = ' '.repeat(indent) + own + word;
      } else {
        line = line.length > lead.length ? `${line} ${word}` : line + word;
      }
    }
    lines.push(line);
  });
  // A single word longer than the limit is cut, so no row ever breaks the banner's frame.
  return lines.flatMap((line) => (line.length <= limit ? [line] : (line.match(new RegExp(`.{1,${limit}}`, 'g')) ?? [line])));
}

/**
 * Starred banner rows, 130 characters wide: `*   <text>  <right> *`, the right part (sequence
 * number, duration) on the first row; long text wraps onto more rows.
 */
function rows(text: string, right = '', indent = 6): string[] {
  const inner = WIDTH - 6; // "*   " and " *"
  const [first = '', ...rest] = wrap(text, inner - (right ? right.length + 1 : 0), indent);
  const firstRow = right ? `${first.padEnd(inner - right.length - 1)} ${right}` : first.padEnd(inner);
  return [firstRow, ...rest.map((line) => line.padEnd(inner))].map((line) => `*   ${line} *`);
}

const asString = (value: unknown): string => (typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value));
const asList = (value: unknown): string[] => (Array.isArray(value) ? value.map(asString) : []);

export function newEventBanner(line: LogLine): string {
  const seq = `#${asString(line.seqNum)}`;
  const headline = line.followUpTo !== undefined ? `NEW EVENT (follow-up to #${asString(line.followUpTo)}): ` : 'NEW EVENT: ';
  const banner = rows(headline + (asString(line.description) || asString(line.event)), seq.padStart(10), 11);
  const handlers = asList(line.handlers);
  if (handlers.length > 0) banner.push(...rows(`EVENT HANDLERS: ${handlers.join(', ')}`));
  const border = '>'.repeat(WIDTH);
  return [border, ...banner, border].join('\n');
}

export function finalizedEventBanner(line: LogLine, description: string | undefined): string {
  const seq = `#${asString(line.seqNum)}`;
  const banner = rows(`FINALIZED EVENT: ${(description ?? asString(line.event)).split('\n')[0]}`, seq.padStart(10));
  const handledBy = asList(line.handledBy);
  if (handledBy.length > 0) banner.push(...rows(`HANDLED BY: ${handledBy.join(', ')}`, `took ${asString(line.durationMs)}ms`.padStart(20)));
  const errors = line.errors && typeof line.errors === 'object' ? Object.entries(line.errors as Record<string, unknown>) : [];
  if (errors.length > 0) {
    banner.push(...rows('ERRORS:'));
    // The controller names a revert's error "<handler> (revert)"; the original prints "(REVERT)".
    for (const [handler, error] of errors) banner.push(...rows(`    * ${handler.replace(/ \(revert\)$/, ' (REVERT)')}: ${asString(error)}`, '', 6));
  }
  const revertedBy = asList(line.revertedBy);
  if (revertedBy.length > 0) banner.push(...rows(`REVERTED BY: ${revertedBy.join(', ')}`));
  if (line.txnError !== undefined) banner.push(...rows(`TRANSACTION ERROR: ${asString(line.txnError)}`));
  const border = '<'.repeat(WIDTH);
  return [border, ...banner, border].join('\n');
}

function timeOf(line: LogLine): string {
  const time = typeof line.time === 'number' ? new Date(line.time) : new Date();
  return time.toISOString().slice(11, 23);
}

export function plainLine(line: LogLine): string {
  const level = LEVEL_NAMES[line.level as number] ?? asString(line.level);
  const component = line.component ?? line.name;
  const fields = Object.entries(line)
    .filter(([key]) => !HIDDEN_FIELDS.has(key))
    .map(([key, value]) => {
      if (key === 'err' && value && typeof value === 'object') return `err=${asString((value as { message?: unknown }).message)}`;
      return `${key}=${asString(value)}`;
    });
  return [timeOf(line), level.padEnd(5), component ? `[${asString(component)}]` : '', asString(line.msg), ...fields].filter((p) => p !== '').join(' ');
}

/**
 * A pino destination (anything with `write(line)`) that renders each JSON line for a terminal.
 * It remembers each event's description from its 'new event' line, because the 'finalized
 * event' line does not repeat it and the original's banner shows it.
 */
export class PrettyLogStream {
  private readonly descriptions = new Map<string, string>();

  constructor(private readonly out: (text: string) => void = (text) => process.stdout.write(text)) {}

  write(chunk: string): boolean {
    for (const text of chunk.split('\n')) {
      if (text.trim() === '') continue;
      this.out(`${this.render(text)}\n`);
    }
    return true;
  }

  render(text: string): string {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return text; // not ours: pass it through
    }
    const seq = asString(line.seqNum);
    if (line.msg === 'new event') {
      this.descriptions.set(seq, asString(line.description));
      return newEventBanner(line);
    }
    if (line.msg === 'finalized event') {
      const description = this.descriptions.get(seq);
      this.descriptions.delete(seq);
      return finalizedEventBanner(line, description);
    }
    return plainLine(line);
  }
}
