import { ControllerError } from '../api/errors';

/** A condition awaited by `waitFor` did not hold within its limit; `cause` is the check's last error, if it threw. */
export class WaitTimeoutError extends ControllerError {}

/**
 * The test controller did not settle within the real-time limit: a handler or commit is still
 * running (often waiting for simulated time: call `advance(ms)`), or events keep coming.
 */
export class SettleTimeoutError extends ControllerError {}

/** A plain object, key or resource the testing kit cannot turn into an event; `cause` says why. */
export class TestFixtureError extends ControllerError {}
