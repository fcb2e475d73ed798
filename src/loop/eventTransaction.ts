import { InvalidValueError } from '../api/errors';
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

  put(key: string, value: ProtoMessage): void {
    checkKey(key);
    if (value === null || value === undefined) {
      throw new InvalidValueError(`put of "${key}" without a value (use delete to remove a key)`);
    }
    messageType(value, `value of "${key}"`);
    this.ownValues.set(key, value);
  }

  delete(key: string): void {
    checkKey(key);
    this.ownValues.set(key, null);
  }

  get(key: string): ProtoMessage | undefined {
    return this.ownValues.get(key) ?? undefined;
  }
}

function checkKey(key: unknown): void {
  if (typeof key !== 'string' || key === '') throw new InvalidValueError(`invalid key ${JSON.stringify(key)}: a non-empty string is required`);
}
