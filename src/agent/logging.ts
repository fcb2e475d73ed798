import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { boundLogLine, boundLogRecord, boundText } from './logBounds';
import { PrettyLogStream } from './prettyLog';
import type { LogLevel } from './settings';

export interface AgentLoggerOptions {
  level: LogLevel;
  /** Human-readable lines with the NEW EVENT / FINALIZED EVENT banners instead of JSON. */
  pretty: boolean;
  /** Where lines go (default stdout); tests capture them here. */
  out?: (text: string) => void;
  /** Pretty mode: banner width and colours (default: from the terminal). */
  width?: number;
  colour?: boolean;
}

/**
 * Bounds every record, whoever logs it (the controller's own lines included: children inherit
 * formatters and hooks): see logBounds.ts for the limits.
 */
const BOUNDED: Pick<LoggerOptions, 'formatters' | 'hooks'> = {
  formatters: { log: boundLogRecord },
  hooks: {
    logMethod(args, method) {
      // The message itself (the controller's lines have short ones; an error's message may not be).
      const bounded = args.map((arg) => (typeof arg === 'string' ? boundText(arg) : arg)) as Parameters<typeof method>;
      method.apply(this, bounded);
    },
    streamWrite: boundLogLine,
  },
};

/**
 * The agent's logger: pino JSON lines on stdout (for log collectors), or with `pretty` the same
 * lines rendered for a terminal. The pretty mode is a plain pino destination rather than a
 * transport: no worker thread, and nothing is lost when the process exits right after a line.
 */
export function createAgentLogger(options: AgentLoggerOptions): Logger {
  const base: LoggerOptions = { level: options.level, name: 'contivctl', ...BOUNDED };
  let destination: DestinationStream;
  if (options.pretty) destination = new PrettyLogStream({ out: options.out, width: options.width, colour: options.colour });
  else if (options.out) {
    const out = options.out;
    destination = { write: (line: string) => out(line) };
  } else destination = pino.destination({ dest: 1, sync: true });
  return pino(base, destination);
}
