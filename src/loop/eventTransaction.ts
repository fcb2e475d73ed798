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
    checkKey(key);
    if (value === null || value === undefined) {
      throw new InvalidValueError(`put of "${key}" without a value (use delete to remove a key)`);
    }
    // The label only when it is needed: a put is the hottest call there is.
    if (!isMessage(value)) messageType(value, `value of "${key}"`);
    this.values.set(key, value);
  }

  delete(key: string): void {
    this.checkOpen();
    checkKey(key);
    this.values.set(key, null);
  }

  get(key: string): ProtoMessage | undefined {
    return this.values.get(key) ?? undefined;
  }

  private checkOpen(): void {
    if (this.sealed) throw new TransactionClosedError();
  }
}

function checkKey(key: unknown): void {
  if (typeof key !== 'string' || key === '') throw new InvalidValueError(`invalid key ${JSON.stringify(key)}: a non-empty string is required`);
}
