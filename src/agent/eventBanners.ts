/**
 * The original Contiv controller's NEW EVENT / FINALIZED EVENT banners (a row of `>` / `<`,
 * starred rows, the sequence number on the right), drawn from the controller's 'new event' and
 * 'finalized event' log lines, as wide as the terminal.
 */

type LogLine = Record<string, unknown>;

export interface BannerStyle {
  /** Columns of every row, frame included. */
  width: number;
  colour: boolean;
}

/** Rows of one part of a banner (the description, the error list) beyond which it is cut. */
export const BANNER_PART_ROWS = 12;

const COLOURS = { cyan: 36, green: 32, red: 31 } as const;

function paint(style: BannerStyle, colour: keyof typeof COLOURS, text: string): string {
  return style.colour ? `\u001b[${COLOURS[colour]}m${text}\u001b[39m` : text;
}

/**
 * Splits text into lines of at most `limit` characters, at spaces, or after a comma when a word
 * (a JSON value) is longer than a line. Lines after the first (its other paragraphs and wrapped
 * continuations) are indented by `indent`; a paragraph's own leading spaces are kept.
 */
export function wrap(text: string, limit: number, indent = 6): string[] {
  const lines: string[] = [];
  text.split('\n').forEach((paragraph, index) => {
    const own = /^ */.exec(paragraph)?.[0] ?? '';
    const lead = (index === 0 ? '' : ' '.repeat(indent)) + own;
    let line = lead;
    // Each token with what joins it to the one before: a space, or nothing for the parts of a
    // long word (a JSON value) split after its commas.
    const tokens = paragraph
      .slice(own.length)
      .split(' ')
      .flatMap((word) => {
        const parts = word.length > limit / 2 ? (word.match(/[^,]+,?|,/g) ?? [word]) : [word];
        return parts.map((part, i) => ({ text: part, joiner: i === 0 ? ' ' : '' }));
      });
    for (const { text: word, joiner } of tokens) {
      if (line.length > lead.length && line.length + joiner.length + word.length > limit) {
        lines.push(line);
        line = ' '.repeat(indent) + own + word;
      } else {
        line = line.length > lead.length ? `${line}${joiner}${word}` : line + word;
      }
    }
    lines.push(line);
  });
  // A single word longer than the limit is cut, so no row ever breaks the banner's frame.
  return lines.flatMap((line) => (line.length <= limit ? [line] : (line.match(new RegExp(`.{1,${limit}}`, 'g')) ?? [line])));
}

/** Keeps the first rows of a part and says how many were left out. */
function capRows(lines: string[], indent: number): string[] {
  if (lines.length <= BANNER_PART_ROWS) return lines;
  return [...lines.slice(0, BANNER_PART_ROWS - 1), `${' '.repeat(indent)}… (+${lines.length - BANNER_PART_ROWS + 1} more lines: see the event history)`];
}

/** Starred rows `*   <text>  <right> *`, the right part (sequence number, duration) on the first row. */
function rows(style: BannerStyle, text: string, right = '', indent = 6): string[] {
  const inner = style.width - 6; // "*   " and " *"
  const [first = '', ...rest] = capRows(wrap(text, inner - (right ? right.length + 1 : 0), indent), indent);
  const firstRow = right ? `${first.padEnd(inner - right.length - 1)} ${right}` : first.padEnd(inner);
  return [firstRow, ...rest.map((line) => line.padEnd(inner))].map((line) => `*   ${line.slice(0, inner)} *`);
}

const asString = (value: unknown): string => (typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value));
const asList = (value: unknown): string[] => (Array.isArray(value) ? value.map(asString) : []);

export function newEventBanner(line: LogLine, style: BannerStyle): string {
  const seq = `#${asString(line.seqNum)}`;
  const headline = line.followUpTo !== undefined ? `NEW EVENT (follow-up to #${asString(line.followUpTo)}): ` : 'NEW EVENT: ';
  const banner = rows(style, headline + (asString(line.description) || asString(line.event)), seq.padStart(8), 11);
  const handlers = asList(line.handlers);
  if (handlers.length > 0) banner.push(...rows(style, `EVENT HANDLERS: ${handlers.join(', ')}`));
  const border = paint(style, 'cyan', '>'.repeat(style.width));
  return [border, ...banner, border].join('\n');
}

export function finalizedEventBanner(line: LogLine, description: string | undefined, style: BannerStyle): string {
  const seq = `#${asString(line.seqNum)}`;
  const banner = rows(style, `FINALIZED EVENT: ${(description ?? asString(line.event)).split('\n')[0]}`, seq.padStart(8));
  const handledBy = asList(line.handledBy);
  if (handledBy.length > 0) banner.push(...rows(style, `HANDLED BY: ${handledBy.join(', ')}`, `took ${asString(line.durationMs)}ms`.padStart(14)));
  const errors = line.errors && typeof line.errors === 'object' ? Object.entries(line.errors as Record<string, unknown>) : [];
  if (errors.length > 0) {
    banner.push(...rows(style, 'ERRORS:'));
    // The controller names a revert's error "<handler> (revert)"; the original prints "(REVERT)".
    for (const [handler, error] of errors) banner.push(...rows(style, `    * ${handler.replace(/ \(revert\)$/, ' (REVERT)')}: ${asString(error)}`, '', 6));
  }
  const revertedBy = asList(line.revertedBy);
  if (revertedBy.length > 0) banner.push(...rows(style, `REVERTED BY: ${revertedBy.join(', ')}`));
  if (line.txnError !== undefined) banner.push(...rows(style, `TRANSACTION ERROR: ${asString(line.txnError)}`));
  const failed = errors.length > 0 || line.txnError !== undefined || line.err !== undefined;
  const border = paint(style, failed ? 'red' : 'green', '<'.repeat(style.width));
  return [border, ...banner, border].join('\n');
}
