import { ControllerError } from '../../api/errors';

/** The REST server could not be started (bad options, or the address cannot be bound). */
export class RestServerError extends ControllerError {}

/** Another process listens on the REST port. */
export class RestPortInUseError extends RestServerError {
  constructor(readonly host: string, readonly port: number, cause: unknown) {
    super(`REST port ${port} is in use (on ${host})`, { cause });
  }
}

/** The REST host is not an address of this machine. */
export class RestAddressUnavailableError extends RestServerError {
  constructor(readonly host: string, cause: unknown) {
    super(`REST host ${host} is not an address of this machine`, { cause });
  }
}

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
