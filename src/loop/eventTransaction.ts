import { InvalidValueError, TransactionClosedError } from '../api/errors';
import type { UpdateOperations } from '../api/transaction';
import type { KeyValuePairs, ProtoMessage } from '../api/types';
import { isMessage, messageType } from '../protobuf/merge';

/** The values of a released transaction: never written to, since a released transaction is sealed. */
const RELEASED: KeyValuePairs = new Map();

/**
 * The operations the handlers add for one event. A plain object on purpose: handlers call
 * put/delete many times per event, so this stays off the actor system (see docs/architecture.md).
 */
export class EventTransaction implements UpdateOperations {
  /** The handlers' own values in order of first write; `null` = delete. */
  get ownValues(): KeyValuePairs {
    return this.values;
  }
  private values: KeyValuePairs = new Map();
  private sealed = false;

  /**
   * Drops the values once the event is finished (the map itself is left as it is: a southbound may
   * keep it). See EventRun.release.
   */
  release(): void {
    this.sealed = true;
    this.values = RELEASED;
  }

  /**
   * No more operations: the event's handler stage is over. A handler that timed out and writes
   * later gets an error instead of changing a transaction that is committed or being committed.
   */
  seal(): void {
    this.sealed = true;
  }

  put(key: string, value: ProtoMessage): void {
    this.checkOpen();
    key = flatKey(key);
    if (value === null || value === undefined) {
      throw new InvalidValueError(`put of "${key}" without a value (use delete to remove a key)`);
    }
    // The label only when it is needed: a put is the hottest call there is.
    if (!isMessage(value)) messageType(value, `value of "${key}"`);
    this.values.set(key, value);
  }

  delete(key: string): void {
    this.checkOpen();
    this.values.set(flatKey(key), null);
  }

  get(key: string): ProtoMessage | undefined {
    return this.values.get(key) ?? undefined;
  }

  private checkOpen(): void {
    if (this.sealed) throw new TransactionClosedError();
  }
}

/**
 * The key, checked, as one flat string. V8 keeps a string built by `+` or a template literal as a
 * tree of its parts (32 bytes per node) until something reads its characters, and a Map only
 * hashes and compares it: a key the internal config, the southbound and the history keep for
 * long then costs about twice its flat size (60 MB of trees after a 100,000-pod resync).
 * Reading a character flattens it; the garbage collector then drops the tree.
 */
function flatKey(key: unknown): string {
  // charCodeAt(0) is NaN only for the empty string.
  if (typeof key !== 'string' || Number.isNaN(key.charCodeAt(0))) throw new InvalidValueError(`invalid key ${JSON.stringify(key)}: a non-empty string is required`);
  return key;
}
