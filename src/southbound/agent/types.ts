import type { KeyOperation } from '../../api/errors';
import type { ResyncType, RetryOptions, ValueState } from '../../api/southbound';
import type { PackedValue } from '../grpc/model';

/**
 * A value as the scheduler stores it: a packed google.protobuf.Any. The scheduler never decodes
 * values; it compares their bytes.
 */
export type StoredValue = PackedValue;
export type { ValueStatus, KeyState as KeyStateDump } from '../grpc/model';

/**
 * One value of a transaction; `null` = delete. `valueError` marks a value the client could not
 * send (over the size limit): the key fails alone with that error, its applied value stays.
 */
export interface SchedulerTxnValue {
  key: string;
  value: StoredValue | null;
  valueError?: string;
}

/** One transaction handed to the scheduler engine. */
export interface SchedulerTxn {
  values: ReadonlyArray<SchedulerTxnValue>;
  /**
   * For a FULL or UPSTREAM resync, the values by key (see `addWanted`), when the caller built
   * them already: the Session stream does while the parts arrive, so that a big resync does not
   * index its values after the last part. Built from `values` when absent.
   */
  wanted?: ReadonlyMap<string, number>;
  resync?: ResyncType;
  /** The startup resync: logged verbosely. */
  verbose?: boolean;
  revertOnFailure?: boolean;
  retry?: RetryOptions;
  description?: string;
}

export interface SchedulerKeyError {
  key: string;
  operation: KeyOperation;
  error: string;
}

/** The outcome of a commit; `seqNum` is absent when the transaction never started. */
export interface SchedulerCommitResult {
  seqNum?: bigint;
  initError?: string;
  keyErrors: SchedulerKeyError[];
}

export interface SchedulerRecordedOperation {
  key: string;
  operation: KeyOperation;
  prevValue?: StoredValue;
  newValue?: StoredValue;
  prevState: ValueState;
  newState: ValueState;
  error?: string;
  isRevert: boolean;
  isRetry: boolean;
  /** `newValue` is the value this transaction carried for the key (the client has it already). */
  fromTxn: boolean;
  /**
   * With `fromTxn`: which of the transaction's values it is, numbered from 1 in `values` (an
   * answer may name it by number instead of repeating the key). Set when the operation is
   * executed; a packed transaction does not keep it.
   */
  valueNumber?: number;
}

export interface SchedulerRecordedTxn {
  seqNum: bigint;
  txnType: 'nb' | 'retry';
  resyncType?: ResyncType;
  description: string;
  start: number;
  stop: number;
  values: ReadonlyArray<SchedulerTxnValue>;
  executed: SchedulerRecordedOperation[];
}

/**
 * Adds a resync's value, the `number`-th of its values (from 1), to its values by key: key -> the
 * number of the value it wants. The last value of a key wins, at the place of its first. A delete
 * means nothing in a resync (what is not wanted goes); a value the client could not send is still
 * wanted: it fails, it is not deleted.
 */
export function addWanted(wanted: Map<string, number>, entry: SchedulerTxnValue, number: number): void {
  if (entry.value || entry.valueError) wanted.set(entry.key, number);
}

/** Structural equality of packed values: same type, same bytes. */
export function sameValue(a: StoredValue | undefined, b: StoredValue | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.type_url !== b.type_url || a.value.length !== b.value.length) return false;
  const x = a.value;
  const y = b.value;
  // A loop beats the native call for the small values most keys hold.
  if (x.length > 64) return Buffer.compare(x, y) === 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
