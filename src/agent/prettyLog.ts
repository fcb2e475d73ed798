import { prettyFactory } from 'pino-pretty';
import { finalizedEventBanner, newEventBanner, type BannerStyle } from './eventBanners';

/**
 * The `--pretty` rendering of the agent's pino JSON lines, for people reading a terminal. The
 * controller's 'new event' and 'finalized event' lines become the banners the original Contiv
 * controller prints (eventBanners.ts); every other line is rendered by pino-pretty on one line:
 * local time with its UTC offset, level, `[component]`, message, fields, in colour on a terminal.
 */

type LogLine = Record<string, unknown>;

export interface PrettyLogOptions {
  /** Where rendered lines go (default stdout). */
  out?: (text: string) => void;
  /** Columns of the banners (default: the terminal's, else 100). */
  width?: number;
  /** ANSI colours (default: stdout is a terminal and NO_COLOR is not set). */
  colour?: boolean;
}

/** Banners narrower than this would wrap every word. */
const MIN_WIDTH = 60;
/** Banners wider than this are hard to read even on a wide terminal. */
const MAX_WIDTH = 160;
/** Width when the output is not a terminal (a file, a pipe, a log collector). */
export const NON_TTY_WIDTH = 100;
const MAX_OPEN_EVENTS = 100;

/** The width a terminal (or a file, or a pipe) gets: its columns, within bounds, else 100. */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  if (!stream.isTTY || !stream.columns) return NON_TTY_WIDTH;
  return Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, stream.columns));
}

export function colourWanted(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

/** An error field as one phrase: `Type: message (code) <- cause <- cause`; the stack is in JSON mode. */
function errorPhrase(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  const error = value as { type?: unknown; message?: unknown; code?: unknown; causes?: unknown };
  const one = (e: { type?: unknown; message?: unknown; code?: unknown }): string =>
    `${typeof e.type === 'string' && e.type !== 'Error' ? `${e.type}: ` : ''}${String(e.message ?? '')}${e.code !== undefined ? ` (${String(e.code)})` : ''}`;
  const causes = Array.isArray(error.causes) ? (error.causes as { message?: unknown }[]) : [];
  return [one(error), ...causes.map(one)].join(' <- ');
}

/**
 * A pino destination (anything with `write(line)`) that renders each JSON line for a terminal.
 * It remembers each event's description from its 'new event' line, because the 'finalized
 * event' line does not repeat it and the original's banner shows it. No worker thread: nothing
 * is lost when the process exits right after a line.
 */
export class PrettyLogStream {
  private readonly descriptions = new Map<string, string>();
  private readonly out: (text: string) => void;
  private readonly style: BannerStyle;
  private readonly pretty: (line: LogLine) => string;

  constructor(options: PrettyLogOptions = {}) {
    this.out = options.out ?? ((text) => process.stdout.write(text));
    const colour = options.colour ?? colourWanted();
    this.style = { width: options.width ?? outputWidth(), colour };
    this.pretty = prettyFactory({
      colorize: colour,
      translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
      singleLine: true,
      ignore: 'pid,hostname,name,component',
      messageFormat: '{if component}[{component}] {end}{msg}',
      // Errors are turned into one phrase below; pino-pretty would print them over many lines.
      errorLikeObjectKeys: [],
    }) as (line: LogLine) => string;
  }

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
    if (line === null || typeof line !== 'object') return text;
    const seq = String(line.seqNum);
    if (line.msg === 'new event') {
      this.descriptions.set(seq, typeof line.description === 'string' ? line.description : '');
      // Events always finalize, but a stop forced mid-event must not leave this growing.
      if (this.descriptions.size > MAX_OPEN_EVENTS) this.descriptions.delete(this.descriptions.keys().next().value as string);
      return newEventBanner(line, this.style);
    }
    if (line.msg === 'finalized event') {
      const description = this.descriptions.get(seq);
      this.descriptions.delete(seq);
      return finalizedEventBanner(line, description, this.style);
    }
    for (const key of ['err', 'error']) if (line[key] !== undefined) line[key] = errorPhrase(line[key]);
    return this.pretty(line).replace(/\n$/, '');
  }
}
