import pino, { type Logger } from 'pino';
import { PrettyLogStream } from './prettyLog';
import type { LogLevel } from './settings';

export interface AgentLoggerOptions {
  level: LogLevel;
  /** Human-readable lines with the NEW EVENT / FINALIZED EVENT banners instead of JSON. */
  pretty: boolean;
  /** Where lines go (default stdout); tests capture them here. */
  out?: (text: string) => void;
}

/**
 * The agent's logger: pino JSON lines on stdout (for log collectors), or with `pretty` the same
 * lines rendered for a terminal. The pretty mode is a plain pino destination rather than a
 * transport: no worker thread, and nothing is lost when the process exits right after a line.
 */
export function createAgentLogger(options: AgentLoggerOptions): Logger {
  const base = { level: options.level, name: 'contivctl' };
  if (options.pretty) return pino(base, new PrettyLogStream(options.out));
  if (options.out) {
    const out = options.out;
    return pino(base, { write: (line: string) => out(line) });
  }
  return pino(base, pino.destination({ dest: 1, sync: true }));
}
