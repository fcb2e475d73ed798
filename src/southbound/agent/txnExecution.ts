import type { KeyOperation } from '../../api/errors';
import type { ValueState } from '../../api/southbound';
import { DataplaneError, type SimulatedDataplane } from './dataplane';
import { statusOf, type KeyRecord, type KeyStore } from './keyStore';
import { sameValue, type SchedulerKeyError, type SchedulerRecordedOperation, type StoredValue, type ValueStatus } from './types';

export interface TxnExecutionOptions {
  seqNum: bigint;
  isRetry: boolean;
  /** RETRYING when the failure will be retried, else FAILED. */
  failureState: 'FAILED' | 'RETRYING';
  /** Absent when nobody watches: no status object per change then. */
  onStatus?: (status: ValueStatus) => void;
}

/**
 * Executes the operations of one transaction against the dataplane, key by key, with the
 * dependency cascade: a value whose dependencies are not all CONFIGURED stays PENDING (and is
 * removed from the dataplane if it was there); creating a dependency creates its pending
 * dependents; removing one sends its dependents back to PENDING first.
 */
export class TxnExecution {
  readonly executed: SchedulerRecordedOperation[] = [];
  readonly failures: SchedulerKeyError[] = [];
  /** Set while reverting: the operations are recorded with is-revert. */
  reverting = false;
  /** Values being removed: they no longer satisfy their dependents (the cascade runs first). */
  private readonly removing = new Set<string>();

  constructor(
    private readonly store: KeyStore,
    private readonly dataplane: SimulatedDataplane,
    private readonly options: TxnExecutionOptions,
  ) {}

  get seqNum(): bigint {
    return this.options.seqNum;
  }

  /**
   * Sets the desired value of a key (undefined = delete), creating its record if needed;
   * `sentNumber` > 0 when it is the value this transaction carried (its number in the
   * transaction's values), 0 for any other (a revert's previous value).
   */
  setDesired(key: string, value: StoredValue | undefined, sentNumber = 0): KeyRecord | undefined {
    const record = value === undefined ? this.store.get(key) : this.store.getOrCreate(key, this.seqNum);
    if (record) {
      record.desired = value;
      record.sentIn = sentNumber > 0 ? this.seqNum : undefined;
      record.sentNumber = sentNumber;
    }
    return record;
  }

  /**
   * Sets the desired value of a key to the `number`-th value this transaction carries (0: a delete
   * it implies, as a FULL resync's of what it does not want), and brings the dataplane in line.
   */
  apply(key: string, value: StoredValue | undefined, number: number): void {
    const record = this.setDesired(key, value, number);
    if (record) this.reconcileRecord(record);
  }

  /** Brings the key's applied value in line with its desired value. */
  reconcile(key: string): void {
    const record = this.store.get(key);
    if (record) this.reconcileRecord(record);
  }

  private reconcileRecord(record: KeyRecord): void {
    const { desired, applied } = record;
    if (desired === undefined) {
      if (applied === undefined) this.forgetUnapplied(record);
      else this.remove(record, 'REMOVED');
      return;
    }
    if (!this.dependenciesReady(record)) {
      if (applied !== undefined) this.remove(record, 'PENDING');
      else this.markPending(record);
      return;
    }
    if (applied === undefined) {
      if (this.execute(record, 'CREATE', desired, 'CONFIGURED')) this.createReadyDependents(record.key);
    } else if (!sameValue(applied, desired)) {
      this.execute(record, 'UPDATE', desired, 'CONFIGURED');
    } else if (record.state !== 'CONFIGURED') {
      record.error = undefined;
      this.setState(record, 'CONFIGURED');
    }
  }

  /**
   * A value the client could not send (too big): the key fails alone, FAILED (never retried: the
   * value would not arrive either), and keeps what it had applied and desired before.
   */
  failValue(key: string, error: string): void {
    const record = this.store.getOrCreate(key, this.seqNum);
    const operation: KeyOperation = record.applied === undefined ? 'CREATE' : 'UPDATE';
    record.error = error;
    record.lastOperation = operation;
    this.record(record, operation, record.applied, undefined, record.state, 'FAILED', error);
    this.failures.push({ key, operation, error });
    this.setState(record, 'FAILED', true);
  }

  private dependenciesReady(record: KeyRecord): boolean {
    for (const dep of record.dependencies) {
      const target = this.store.get(dep);
      if (!target || target.state !== 'CONFIGURED' || target.desired === undefined || this.removing.has(dep)) return false;
    }
    return true;
  }

  /** Removes an applied value (deleted, or back to PENDING); its dependents go PENDING first. */
  private remove(record: KeyRecord, successState: 'REMOVED' | 'PENDING'): void {
    this.removing.add(record.key);
    try {
      for (const dependent of this.store.dependentsOf(record.key)) {
        if (this.store.get(dependent)?.applied !== undefined) this.reconcile(dependent);
      }
      this.execute(record, 'DELETE', undefined, successState);
    } finally {
      this.removing.delete(record.key);
    }
  }

  private markPending(record: KeyRecord): void {
    const operation: KeyOperation = record.state === 'PENDING' ? 'UPDATE' : 'CREATE';
    this.record(record, operation, record.applied, record.desired, record.state, 'PENDING');
    record.error = undefined;
    record.lastOperation = operation;
    this.setState(record, 'PENDING');
  }

  /** A value that is neither desired nor applied (pending or failed before): just forget it. */
  private forgetUnapplied(record: KeyRecord): void {
    this.record(record, 'DELETE', undefined, undefined, record.state, 'REMOVED');
    record.error = undefined;
    record.lastOperation = 'DELETE';
    this.setState(record, 'REMOVED');
    this.store.delete(record.key);
  }

  private createReadyDependents(key: string): void {
    for (const dependent of this.store.dependentsOf(key)) {
      const record = this.store.get(dependent);
      if (record && record.desired !== undefined && record.applied === undefined && record.state === 'PENDING') {
        this.reconcile(dependent);
      }
    }
  }

  /** Applies one operation to the dataplane; records it; false when it failed. */
  private execute(record: KeyRecord, operation: KeyOperation, value: StoredValue | undefined, successState: ValueState): boolean {
    const prevState = record.state;
    const prevValue = record.applied;
    record.lastOperation = operation;
    try {
      this.dataplane.apply(record.key, operation, value);
    } catch (error) {
      const message = error instanceof DataplaneError ? error.message : `dataplane error: ${String(error)}`;
      const failedState = this.reverting ? 'FAILED' : this.options.failureState;
      record.error = message;
      if (failedState === 'RETRYING') record.retryToken = this.seqNum;
      this.record(record, operation, prevValue, value, prevState, failedState, message);
      this.failures.push({ key: record.key, operation, error: message });
      this.setState(record, failedState, true);
      return false;
    }
    record.applied = value;
    record.error = undefined;
    this.record(record, operation, prevValue, value, prevState, successState);
    this.setState(record, successState);
    if (successState === 'REMOVED' && record.desired === undefined) this.store.delete(record.key);
    return true;
  }

  private record(
    record: KeyRecord,
    operation: KeyOperation,
    prevValue: StoredValue | undefined,
    newValue: StoredValue | undefined,
    prevState: ValueState,
    newState: ValueState,
    error?: string,
  ): void {
    const fromTxn = newValue !== undefined && newValue === record.desired && record.sentIn === this.seqNum;
    this.executed.push({
      key: record.key,
      operation,
      prevValue,
      newValue,
      prevState,
      newState,
      error,
      isRevert: this.reverting,
      isRetry: this.options.isRetry,
      fromTxn,
      valueNumber: fromTxn ? record.sentNumber : 0,
    });
  }

  /** Marks the key FAILED after the fact (revert: the failed value ends FAILED). */
  markFailed(key: string): void {
    const record = this.store.get(key);
    if (record && record.state !== 'FAILED') this.setState(record, 'FAILED', true);
  }

  private setState(record: KeyRecord, state: ValueState, force = false): void {
    if (!force && record.state === state && record.seqNum === this.seqNum) return;
    record.state = state;
    record.seqNum = this.seqNum;
    this.options.onStatus?.(statusOf(record));
  }
}
