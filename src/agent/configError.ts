import { ControllerError } from '../api/errors';

/** A setting with a bad value, an unknown key, or an unreadable config file. */
export class AgentConfigError extends ControllerError {
  constructor(
    readonly key: string,
    readonly source: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid agent config: ${key} (${source}): ${problem}`, options);
  }
}

/** What a secret shows instead of its value, in errors and in `config print`. */
export const REDACTED = '<redacted>';
