import { InvalidValueError, TransactionClosedError } from '../api/errors';
import type { UpdateOperations } from '../api/transaction';
import type { KeyValuePairs, ProtoMessage } from '../api/types';
import { messageType } from '../protobuf/merge';

/**
 * The operations the handlers add for one event. A plain object on purpose: handlers call
 * put/delete many times per event, so this stays off the actor system (see docs/architecture.md).
 */
export class EventTransaction implements UpdateOperations {
  /** The handlers' own values in order of first write; `null` = delete. */
  readonly ownValues: KeyValuePairs = new Map();
  private sealed = false;

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
    messageType(value, `value of "${key}"`);
    this.ownValues.set(key, value);
  }

  delete(key: string): void {
    this.checkOpen();
    checkKey(key);
    this.ownValues.set(key, null);
  }

  get(key: string): ProtoMessage | undefined {
    return this.ownValues.get(key) ?? undefined;
  }

  private checkOpen(): void {
    if (this.sealed) throw new TransactionClosedError();
  }
}

function checkKey(key: unknown): void {
  if (typeof key !== 'string' || key === '') throw new InvalidValueError(`invalid key ${JSON.stringify(key)}: a non-empty string is required`);
}
