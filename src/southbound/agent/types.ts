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
