import { grpcMessage } from '../grpcMessage';
import { ControllerError } from '../api/errors';

/**
 * Errors of the DB watcher and its stores. Callers branch on the class; every error that wraps
 * another keeps it as `cause`.
 */

/** A store (etcd or the embedded LMDB store) could not be reached or failed an operation. */
export class StoreUnavailableError extends ControllerError {
  constructor(readonly store: string, operation: string, cause?: unknown) {
    super(`${store}: ${operation} failed${cause instanceof Error ? `: ${grpcMessage(cause)}` : ''}`, { cause });
  }
}

/**
 * A write of the embedded store failed in its writer thread: LMDB's own error (its message and
 * code as LMDB gave them), or the thread itself failed.
 */
export class StoreWriteError extends ControllerError {
  readonly code: string | undefined;
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, { cause: options.cause });
    this.code = options.code;
  }
}

/** A watch asked for revisions the store no longer keeps: the watcher must resync. */
export class WatchCompactedError extends ControllerError {
  constructor(readonly store: string, readonly fromRevision: number, readonly oldestRevision: number) {
    super(`${store}: cannot watch from revision ${fromRevision}, oldest kept revision is ${oldestRevision}`);
  }
}

/**
 * A key the watcher cannot give the handlers: its value does not decode, or the key itself does
 * not follow the layout. The watcher keeps the key's last good value and reports it.
 */
export abstract class BadKeyError extends ControllerError {
  abstract readonly key: string;
}

/** A stored value is not valid protobuf JSON or binary of the type registered for its key. */
export class ValueDecodeError extends BadKeyError {
  constructor(readonly key: string, readonly typeName: string, cause: unknown) {
    super(`cannot decode the value of "${key}" as ${typeName.replace(/^\./, '')}${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause });
  }
}

/** A kube state key that does not follow the reflector's layout (e.g. a pod key without its namespace). */
export class KeyLayoutError extends BadKeyError {
  constructor(readonly key: string, readonly reason: string) {
    super(`key "${key}": ${reason}`);
  }
}

/** A JSON value does not fit its protobuf type at `path` (a wrong JSON type, an unknown enum name, ...). */
export class JsonShapeError extends ControllerError {
  constructor(readonly path: string, readonly reason: string) {
    super(path === '' ? reason : `${path}: ${reason}`);
  }
}

/** A JSON value has a field its protobuf type does not have. */
export class UnknownFieldError extends JsonShapeError {
  constructor(readonly field: string, readonly typeName: string) {
    super(field, `unknown field "${field}" (not a field of ${typeName})`);
  }
}

/** A stored value is empty: the reflector never writes one (an empty object is "{}"). */
export class EmptyValueError extends ControllerError {
  constructor() {
    super('empty value');
  }
}

/** No resource (or external config model) is registered for a keyword or a key. */
export class UnknownResourceError extends ControllerError {
  constructor(readonly what: string) {
    super(`no registered resource for ${what}`);
  }
}

/** A resource registration conflicts with an existing one or is malformed. */
export class ResourceRegistrationError extends ControllerError {}

/** The writer tool was given an invalid command line or value. */
export class WriterUsageError extends ControllerError {}

/**
 * The agent's data directory cannot be used: the agent stops with exit code 2 (a condition an
 * operator must fix), never with a signal and never with a wrong state.
 */
export class DataDirError extends ControllerError {}

/** An LMDB file is damaged (empty, truncated, unreadable): opening it would crash or lose data. */
export class StoreDamagedError extends DataDirError {
  constructor(readonly path: string, readonly reason: string, cause?: unknown) {
    super(`the store ${path} is damaged: ${reason}`, { cause });
  }
}

/** Another agent holds the data directory. */
export class DataDirLockedError extends DataDirError {
  constructor(readonly dataDir: string, readonly holderPid: number) {
    super(`the data directory ${dataDir} is in use by another agent (pid ${holderPid}); two agents cannot share one`);
  }
}
