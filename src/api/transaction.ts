import type { KeyValuePairs, ProtoMessage } from './types';

/** Operations available to a handler during a resync. */
export interface ResyncOperations {
  /** Adds or modifies a value; `value` must be a message (a missing value is an error). */
  put(key: string, value: ProtoMessage): void;
  /** The value this transaction will apply, or `undefined` if deleted or never set. */
  get(key: string): ProtoMessage | undefined;
}

/** Operations available to a handler during an update. */
export interface UpdateOperations extends ResyncOperations {
  /** Asks the southbound to delete the value. */
  delete(key: string): void;
}

/** A transaction that can be committed to the southbound; resolves to its sequence number. */
export interface Transaction extends UpdateOperations {
  commit(): Promise<bigint | undefined>;
}

/** Reads configuration shared by several handlers (the current transaction, else the internal config). */
export interface ConfigRetriever {
  /** A copy of the value: from the transaction being built, else from the internal config. */
  getConfig(key: string): ProtoMessage | undefined;
}

/** Puts every non-null value of `values` into the transaction. */
export function putAll(txn: ResyncOperations, values: KeyValuePairs): void {
  for (const [key, value] of values) {
    if (value !== null) txn.put(key, value);
  }
}

/** Deletes every key of `values` in the transaction. */
export function deleteAll(txn: UpdateOperations, values: KeyValuePairs): void {
  for (const key of values.keys()) txn.delete(key);
}
