import { ControllerError } from '../../api/errors';

/** The REST server could not be started (bad options, or the address cannot be bound). */
export class RestServerError extends ControllerError {}

/** A query-string parameter of a REST route that is malformed: the reply is a 400 naming it. */
export class InvalidRequestParameterError extends ControllerError {
  readonly statusCode = 400;
  constructor(readonly parameter: string, readonly value: unknown, reason: string) {
    super(`invalid parameter "${parameter}": ${JSON.stringify(value)} (${reason})`);
  }
}

/** The JSON body of every error reply: `error` is for humans, `parameter` names what was wrong. */
export interface ErrorBody {
  error: string;
  parameter?: string;
}
