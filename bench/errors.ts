import { ControllerError } from '../src/api';

/** A measured run did not do its work (an event failed, a process died, a count is short): its figure would mean nothing. */
export class BenchRunError extends ControllerError {}
