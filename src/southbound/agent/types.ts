import type { KeyOperation } from '../../api/errors';
import type { ResyncType, RetryOptions, ValueState } from '../../api/southbound';
import type { PackedValue } from '../grpc/model';

/**
 * A value as the scheduler stores it: a packed google.protobuf.Any. The scheduler never decodes
 * values; it compares their bytes.
 */
export type StoredValue = PackedValue;
export type { ValueStatus, KeyState as KeyStateDump } from '../grpc/model';

/** One transaction handed to the scheduler engine; `null` = delete. */
export interface SchedulerTxn {
  values: ReadonlyArray<{ key: string; value: StoredValue | null }>;
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
}

export interface SchedulerRecordedTxn {
  seqNum: bigint;
  txnType: 'nb' | 'retry';
  resyncType?: ResyncType;
  description: string;
  start: number;
  stop: number;
  values: ReadonlyArray<{ key: string; value: StoredValue | null }>;
  executed: SchedulerRecordedOperation[];
}

/** Structural equality of packed values: same type, same bytes. */
export function sameValue(a: StoredValue | undefined, b: StoredValue | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.type_url !== b.type_url || a.value.length !== b.value.length) return false;
  return Buffer.compare(a.value, b.value) === 0;
}
