import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { Subject, type Observable } from 'rxjs';
import { SimulatedDataplane } from './dataplane';
import { DependencyRules, type DependencyRule } from './dependencyRules';
import { FaultInjector } from './faultInjector';
import { KeyStore, statusOf } from './keyStore';
import { RetryScheduler, willRetryAfter, type RetryGroup } from './retryScheduler';
import { TxnExecution } from './txnExecution';
import { TxnHistory } from './txnHistory';
import {
  addWanted,
  type KeyStateDump,
  type SchedulerCommitResult,
  type SchedulerRecordedTxn,
  type SchedulerTxn,
  type SchedulerTxnValue,
  type StoredValue,
  type ValueStatus,
} from './types';

/** Recorded transactions the scheduler keeps by default. */
export const DEFAULT_MAX_RECORDED_TXNS = 10_000;

export interface SchedulerEngineOptions {
  dependencyRules?: readonly DependencyRule[];
  /** Recorded transactions kept; the oldest go first (default 10,000, like the controller's event history). */
  maxRecordedTxns?: number;
  /** The first sequence number (default 1; tests use a large one to prove 64-bit exactness). */
  firstSeqNum?: bigint;
  logger?: Logger;
}

/**
 * The reference southbound's key-value scheduler, in-process: applies transactions to a
 * simulated dataplane with the KVScheduler's semantics (resync types, retry, revert,
 * dependencies) and records them. Commits run synchronously, so they are naturally serialized.
 *
 * ```ts
 * const engine = new SchedulerEngine({ dependencyRules: [{ key: '^route/(\\w+)/', dependsOn: ['iface/$1'] }] });
 * const { seqNum, keyErrors } = engine.commit({ values: [{ key: 'iface/a', value: packed }] });
 * engine.close();
 * ```
 */
export class SchedulerEngine {
  /** New at each start: clients detect a restarted (state-less) southbound by its change. */
  readonly instanceId = randomUUID();
  readonly faults = new FaultInjector();
  readonly dataplane = new SimulatedDataplane(this.faults);
  private readonly store: KeyStore;
  private readonly history: TxnHistory;
  private readonly retries: RetryScheduler;
  private readonly statusChanges = new Subject<ValueStatus>();
  private readonly logger: Logger;
  private nextSeqNum: bigint;

  constructor(options: SchedulerEngineOptions = {}) {
    this.store = new KeyStore(new DependencyRules(options.dependencyRules));
    this.history = new TxnHistory(options.maxRecordedTxns ?? DEFAULT_MAX_RECORDED_TXNS);
    this.retries = new RetryScheduler((group) => this.runRetry(group));
    this.nextSeqNum = options.firstSeqNum ?? 1n;
    this.logger = options.logger ?? pino({ level: 'silent' });
  }

  /** Every status change of every value, in order. */
  get statusChanges$(): Observable<ValueStatus> {
    return this.statusChanges.asObservable();
  }

  commit(txn: SchedulerTxn): SchedulerCommitResult {
    const initError = validate(txn);
    if (initError) {
      this.logger.warn({ initError, description: txn.description }, 'transaction refused');
      return { initError, keyErrors: [] };
    }
    const start = Date.now();
    const retry = txn.retry && !txn.revertOnFailure ? txn.retry : undefined;
    const execution = this.newExecution(false, retry && willRetryAfter(retry, 0) ? 'RETRYING' : 'FAILED');
    if (txn.resync === 'full' || txn.resync === 'downstream') this.refreshView();
    if (txn.resync === 'full' || txn.resync === 'upstream') this.applyWholeState(execution, txn);
    else if (txn.resync === 'downstream') for (const key of [...this.store.keys()]) execution.reconcile(key);
    else this.applyUpdate(execution, txn);

    this.finish(execution, { txnType: 'nb', resyncType: txn.resync, description: txn.description ?? '', start, values: txn.values });
    if (retry && execution.failures.length > 0 && willRetryAfter(retry, 0)) {
      this.retries.schedule({ keys: execution.failures.map((f) => f.key), token: execution.seqNum, attempt: 1, options: retry });
    }
    const log = { seqNum: String(execution.seqNum), resync: txn.resync ?? 'none', values: txn.values.length, errors: execution.failures.length };
    if (txn.verbose) this.logger.info({ ...log, description: txn.description }, 'startup resync applied');
    else this.logger.debug(log, 'transaction applied');
    return { seqNum: execution.seqNum, keyErrors: execution.failures };
  }

  /** Updates in transaction order; with revert, stops at the first failure and undoes the rest. */
  private applyUpdate(execution: TxnExecution, txn: SchedulerTxn): void {
    // What a revert would need, kept only when the transaction may revert.
    const processed: { key: string; previous: StoredValue | undefined }[] = [];
    const { values } = txn;
    for (let i = 0; i < values.length; i++) {
      const { key, value, valueError } = values[i];
      if (txn.revertOnFailure) processed.push({ key, previous: this.store.get(key)?.desired });
      if (valueError) execution.failValue(key, valueError);
      else execution.apply(key, value ?? undefined, i + 1);
      if (txn.revertOnFailure && execution.failures.length > 0) {
        this.revert(execution, processed);
        return;
      }
    }
  }

  /**
   * Re-applies the previous values of everything processed, newest first. The failed values are
   * only given back their previous desired value: their operation did not happen, they end FAILED.
   */
  private revert(execution: TxnExecution, processed: { key: string; previous: StoredValue | undefined }[]): void {
    const failed = new Set(execution.failures.map((f) => f.key));
    execution.reverting = true;
    for (const { key, previous } of [...processed].reverse()) {
      if (failed.has(key)) {
        const record = this.store.get(key);
        if (record) record.desired = previous;
        continue;
      }
      execution.setDesired(key, previous);
      execution.reconcile(key);
    }
    for (const key of failed) execution.markFailed(key);
  }

  /** FULL/UPSTREAM: the transaction is the whole desired state; deletes go first. */
  private applyWholeState(execution: TxnExecution, txn: SchedulerTxn): void {
    const wanted = txn.wanted ?? wantedOf(txn.values);
    if (this.store.size > 0) {
      for (const record of [...this.store.values()]) if (!wanted.has(record.key)) execution.apply(record.key, undefined, 0);
    }
    for (const [key, number] of wanted) {
      const { value, valueError } = txn.values[number - 1];
      if (valueError) execution.failValue(key, valueError);
      else execution.apply(key, value ?? undefined, number);
    }
  }

  /** Refreshes the scheduler's view from the dataplane (FULL and DOWNSTREAM resyncs). */
  private refreshView(): void {
    for (const record of this.store.values()) record.applied = this.dataplane.get(record.key);
    for (const [key, value] of this.dataplane.entries()) {
      if (this.store.get(key)) continue;
      const record = this.store.getOrCreate(key, this.nextSeqNum);
      record.applied = value;
      record.state = 'DISCOVERED';
    }
  }

  private runRetry(group: RetryGroup): void {
    const keys = group.keys.filter((key) => {
      const record = this.store.get(key);
      return record?.state === 'RETRYING' && record.retryToken === group.token;
    });
    if (keys.length === 0) return;
    const start = Date.now();
    const execution = this.newExecution(true, willRetryAfter(group.options, group.attempt) ? 'RETRYING' : 'FAILED');
    for (const key of keys) execution.reconcile(key);
    const values = keys.map((key) => ({ key, value: this.store.get(key)?.desired ?? null }));
    this.finish(execution, { txnType: 'retry', description: `retry #${group.attempt} of txn #${group.token}`, start, values });
    const log = { seqNum: String(execution.seqNum), attempt: group.attempt, keys: keys.length, errors: execution.failures.length };
    this.logger.debug(log, 'retry applied');
    if (execution.failures.length > 0 && willRetryAfter(group.options, group.attempt)) {
      const failedKeys = execution.failures.map((f) => f.key);
      this.retries.schedule({ keys: failedKeys, token: execution.seqNum, attempt: group.attempt + 1, options: group.options });
    }
  }

  private newExecution(isRetry: boolean, failureState: 'FAILED' | 'RETRYING'): TxnExecution {
    const seqNum = this.nextSeqNum++;
    return new TxnExecution(this.store, this.dataplane, {
      seqNum,
      isRetry,
      failureState,
      onStatus: this.statusChanges.observed ? (status) => this.statusChanges.next(status) : undefined,
    });
  }

  private finish(execution: TxnExecution, txn: Omit<SchedulerRecordedTxn, 'seqNum' | 'stop' | 'executed'>): void {
    this.history.add({
      seqNum: execution.seqNum,
      txnType: txn.txnType,
      resyncType: txn.resyncType,
      description: txn.description,
      start: txn.start,
      stop: Date.now(),
      values: txn.values,
      executed: execution.executed,
    });
  }

  getRecordedTxn(seqNum: bigint): SchedulerRecordedTxn | undefined {
    return this.history.get(seqNum);
  }

  recordedTxns(): SchedulerRecordedTxn[] {
    return this.history.all();
  }

  /** The status of a key (NONEXISTENT when unknown). */
  getValueStatus(key: string): ValueStatus {
    const record = this.store.get(key);
    return record ? statusOf(record) : { key, state: 'NONEXISTENT', seqNum: 0n };
  }

  /** Every known key under the prefix, sorted by key. */
  dump(keyPrefix = ''): KeyStateDump[] {
    const out: KeyStateDump[] = [];
    for (const record of this.store.values()) {
      if (!record.key.startsWith(keyPrefix)) continue;
      out.push({
        key: record.key,
        desired: record.desired,
        applied: record.applied,
        state: record.state,
        error: record.error,
        lastOperation: record.lastOperation,
        dependencies: [...record.dependencies],
      });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Number of retry transactions waiting for their timer. */
  get pendingRetries(): number {
    return this.retries.pending;
  }

  /** Stops the retry timers and completes the status stream. */
  close(): void {
    this.retries.close();
    this.history.close();
    this.statusChanges.complete();
  }
}

/** Init errors: the transaction is refused before it starts (no sequence number). */
function validate(txn: SchedulerTxn): string | undefined {
  if (txn.resync === 'downstream' && txn.values.length > 0) {
    return `a DOWNSTREAM resync carries no values (got ${txn.values.length})`;
  }
  if (txn.resync && txn.revertOnFailure) return `revert on failure cannot be combined with a ${txn.resync.toUpperCase()} resync`;
  if (txn.retry && (!Number.isFinite(txn.retry.periodMs) || txn.retry.periodMs < 0 || txn.retry.maxAttempts < 0)) {
    return 'invalid retry options';
  }
  return undefined;
}

function wantedOf(values: ReadonlyArray<SchedulerTxnValue>): Map<string, number> {
  const wanted = new Map<string, number>();
  for (let i = 0; i < values.length; i++) addWanted(wanted, values[i], i + 1);
  return wanted;
}
