import { ControllerError } from '../api/errors';

/**
 * Errors of the DB watcher and its stores. Callers branch on the class; every error that wraps
 * another keeps it as `cause`.
 */

/** A store (etcd or the embedded LMDB store) could not be reached or failed an operation. */
export class StoreUnavailableError extends ControllerError {
  constructor(readonly store: string, operation: string, cause?: unknown) {
    super(`${store}: ${operation} failed${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause });
  }
}

/** A watch asked for revisions the store no longer keeps: the watcher must resync. */
export class WatchCompactedError extends ControllerError {
  constructor(readonly store: string, readonly fromRevision: number, readonly oldestRevision: number) {
    super(`${store}: cannot watch from revision ${fromRevision}, oldest kept revision is ${oldestRevision}`);
  }
}

/** A stored value is not valid protobuf JSON or binary of the type registered for its key. */
export class ValueDecodeError extends ControllerError {
  constructor(readonly key: string, readonly typeName: string, cause: unknown) {
    super(`cannot decode the value of "${key}" as ${typeName}${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause });
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
