import { ControllerError } from '../api/errors';

/** The inspector could not be started (module missing, port taken). */
export class InspectorError extends ControllerError {}
