import { RestAddressUnavailableError, RestPortInUseError } from '../rest/errors';
import { errorMessage } from './io';

/**
 * What to tell the operator when the agent (or the demo) cannot start: the cause, and the
 * setting that fixes it, chosen by the error's class.
 */
export function startFailureMessage(error: unknown): string {
  if (error instanceof RestPortInUseError) return `${error.message}; pass --rest-port or set rest.port (0 = any free port)`;
  if (error instanceof RestAddressUnavailableError) return `${error.message}; pass --rest-host or set rest.host`;
  return errorMessage(error);
}
