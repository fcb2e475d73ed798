import { SouthboundUnavailableError, TransactionError, type KeyError, type KeyOperation } from '../api/errors';
import { Fifo } from '../loop/fifo';
import type { ProtoMessage } from '../api/types';
import type { CommitRequest, CommitResult, RecordedOperation, RecordedTransaction, Southbound } from '../api/southbound';

/** Makes matching keys fail: `times` commits in a row (default: always). */
export interface InjectedFailure {
  keys: RegExp | string | ((key: string) => boolean);
  times?: number;
  error?: string;
  operations?: readonly KeyOperation[];
}

interface ActiveFailure {
  matches(key: string, operation: KeyOperation): boolean;
  remaining: number;
  error: string;
}

function matcher(keys: InjectedFailure['keys']): (key: string) => boolean {
  if (typeof keys === 'function') return keys;
  if (typeof keys === 'string') return (key) => key === keys;
  return (key) => keys.test(key);
}

/**
 * A southbound in memory, for embedding tests and benchmarks: applies transactions to a map with
 * the resync and revert semantics of the protocol (docs/southbound-protocol.md), records them, and
 * can be told to fail. It does not retry (use the reference southbound agent for that). Values are
 * kept by reference: do not mutate a message after committing it.
 */
export class InMemorySouthbound implements Southbound {
  /** The applied state: key -> value. */
  readonly applied = new Map<string, ProtoMessage>();
  private readonly recorded = new Fifo<RecordedTransaction>();
  private readonly maxRecordedTransactions: number;
  private nextSeqNum = 0n;
  private failures: ActiveFailure[] = [];
  private unavailableCommits = 0;
  private unavailableReason = '';
  private unavailable = false;
  private readonly resetListeners = new Set<(reason: string) => void>();

  /** `maxRecordedTransactions` bounds the recorded commits (default 10,000; the oldest go first). */
  constructor(options: { maxRecordedTransactions?: number } = {}) {
    this.maxRecordedTransactions = Math.max(1, options.maxRecordedTransactions ?? 10_000);
  }

  /** The latest commits, oldest first (a copy; at most `maxRecordedTransactions`). */
  get transactions(): RecordedTransaction[] {
    return this.recorded.toArray();
  }

  /** Makes keys fail; returns a function that removes the failure. */
  injectFailure(failure: InjectedFailure): () => void {
    const matches = matcher(failure.keys);
    const active: ActiveFailure = {
      matches: (key, operation) => matches(key) && (!failure.operations || failure.operations.includes(operation)),
      remaining: failure.times ?? Infinity,
      error: failure.error ?? 'injected failure',
    };
    this.failures.push(active);
    return () => {
      this.failures = this.failures.filter((f) => f !== active);
    };
  }

  /** The next `commits` commits fail with SouthboundUnavailableError, as if the southbound were unreachable. */
  failNextCommits(commits: number, reason = 'southbound unreachable'): void {
    this.unavailableCommits = commits;
    this.unavailableReason = reason;
  }

  /** While set, every commit fails with SouthboundUnavailableError and nothing is applied (an outage). */
  setUnavailable(unavailable: boolean): void {
    this.unavailable = unavailable;
  }

  /** Forgets the applied state, as a restarted southbound would, and tells the listeners. */
  reset(reason = 'southbound restarted'): void {
    this.applied.clear();
    for (const listener of this.resetListeners) listener(reason);
  }

  onReset(listener: (reason: string) => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    if (this.unavailable) throw new SouthboundUnavailableError('the in-memory southbound is set unavailable');
    if (this.unavailableCommits > 0) {
      this.unavailableCommits--;
      throw new SouthboundUnavailableError(this.unavailableReason);
    }
    if (request.resync && request.revertOnFailure) throw new TransactionError({ initError: 'revert on failure cannot be combined with a resync' });
    if (request.resync === 'downstream' && request.values.size > 0) throw new TransactionError({ initError: 'a downstream resync carries no values' });

    const seqNum = this.nextSeqNum++;
    const start = Date.now();
    const executed: RecordedOperation[] = [];
    const keyErrors: KeyError[] = [];
    // What to put back if a key fails: kept only when the request asks to revert.
    const undo: { key: string; prev?: ProtoMessage }[] | undefined = request.revertOnFailure ? [] : undefined;
    const failures = this.failures;

    const apply = (key: string, value: ProtoMessage | undefined): boolean => {
      const prev = this.applied.get(key);
      if (prev === value) return true;
      const operation: KeyOperation = value === undefined ? 'DELETE' : prev === undefined ? 'CREATE' : 'UPDATE';
      const failure = failures.length === 0 ? undefined : failures.find((f) => f.remaining > 0 && f.matches(key, operation));
      const op: RecordedOperation = {
        key,
        operation,
        prevValue: prev,
        newValue: value,
        prevState: prev === undefined ? 'NONEXISTENT' : 'CONFIGURED',
        newState: value === undefined ? 'REMOVED' : 'CONFIGURED',
        isRevert: false,
        isRetry: false,
      };
      executed.push(op);
      if (failure) {
        failure.remaining--;
        op.newState = 'FAILED';
        op.error = failure.error;
        keyErrors.push({ key, operation, error: failure.error });
        return false;
      }
      undo?.push({ key, prev });
      if (value === undefined) this.applied.delete(key);
      else this.applied.set(key, value);
      return true;
    };

    if (request.resync === 'full' || request.resync === 'upstream') {
      for (const key of [...this.applied.keys()]) if (!request.values.get(key)) apply(key, undefined);
    }
    for (const [key, value] of request.values) {
      if (!apply(key, value ?? undefined) && undo) {
        for (const { key: undoKey, prev } of undo.reverse()) {
          const current = this.applied.get(undoKey);
          if (prev === undefined) this.applied.delete(undoKey);
          else this.applied.set(undoKey, prev);
          executed.push({
            key: undoKey,
            operation: prev === undefined ? 'DELETE' : current === undefined ? 'CREATE' : 'UPDATE',
            prevValue: current,
            newValue: prev,
            prevState: current === undefined ? 'NONEXISTENT' : 'CONFIGURED',
            newState: prev === undefined ? 'REMOVED' : 'CONFIGURED',
            isRevert: true,
            isRetry: false,
          });
        }
        break;
      }
    }

    const values: RecordedTransaction['values'] = [];
    for (const [key, value] of request.values) values.push({ key, value: value ?? undefined });
    const recorded: RecordedTransaction = {
      seqNum,
      txnType: 'nb',
      ...(request.resync && { resyncType: request.resync }),
      description: request.description,
      start,
      stop: Date.now(),
      values,
      executed,
    };
    this.recorded.push(recorded);
    if (this.recorded.size > this.maxRecordedTransactions) this.recorded.shift();
    if (keyErrors.length > 0) throw new TransactionError({ keyErrors, seqNum, recorded });
    return { seqNum, recorded };
  }

  async close(): Promise<void> {
    this.resetListeners.clear();
  }
}
