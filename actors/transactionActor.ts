import type { Logger } from 'pino';
import type { ControllerClock } from '../src/api/clock';
import type { ControllerConfig } from '../src/api/config';
import { SouthboundUnavailableError, TransactionError, toError, type ExternalConfigMergeError } from '../src/api/errors';
import type { CommitRequest, CommitResult, ResyncType, RetryOptions, Southbound } from '../src/api/southbound';
import type { KeyValuePairs, ProtoMessage } from '../src/api/types';
import type { ConfigState } from '../src/loop/configState';
import type { EventTransaction } from '../src/loop/eventTransaction';
import { mergeExternalConfig, type MergeScope } from '../src/loop/externalConfigMerge';
import { LazyCommitRequest, type CommitDescriber } from '../src/loop/lazyCommitRequest';
import { fromReceiver } from './receiverLogic';
import { isThenable, replyWithResult, type CallOutcome, type CallTimeLimit, type Request } from './request';
import { Watchdog } from './watchdog';

/** What the southbound should do with a commit. */
interface CommitShape {
  /** Asked for the commit's description only when the southbound reads it. */
  describer: CommitDescriber;
  resync?: ResyncType;
  startup: boolean;
  revertOnFailure: boolean;
  /**
   * The southbound is known to be unavailable: do not send, only keep the internal config, and
   * fail with SouthboundUnavailableError. The full resync after the outage carries the values.
   */
  deferred: boolean;
}

/** Commit one event's transaction (steps 8 and 9 of "Processing one event"). */
export interface CommitCall extends CommitShape {
  type: 'commit';
  seqNum: number;
  txn: EventTransaction;
  scope: MergeScope;
}

/**
 * Coalescing: merge one update's transaction with external config (step 8) and add it to the
 * batch being accumulated (later operations on a key win); its own values go to the internal
 * config at once, as its commit would do. Answered synchronously.
 */
export interface StageCall {
  type: 'stage';
  seqNum: number;
  txn: EventTransaction;
  scope: MergeScope;
}

/** Coalescing: commit everything staged since the last commit, as one transaction (step 9). */
export interface CommitStagedCall extends CommitShape {
  type: 'commitStaged';
  seqNum: number;
}

export type TransactionCall = CommitCall | StageCall | CommitStagedCall;

export interface StageOutcome {
  /** What this event's transaction sends (its own values and their external merges), by key. */
  keys: ReadonlyMap<string, unknown>;
  mergeErrors: readonly ExternalConfigMergeError[];
}

export interface CommitOutcome {
  /** False when there was nothing to commit (an empty update transaction). */
  committed: boolean;
  result?: CommitResult;
  error?: Error;
  /** Every failed key is external config: neither the handlers' own value nor internal config. */
  onlyExternalConfigFailed: boolean;
  /** Keys whose external config could not be merged: they were committed with the handlers' value. */
  mergeErrors: readonly ExternalConfigMergeError[];
}

export interface TransactionActorDeps {
  southbound: Southbound;
  state: ConfigState;
  config: ControllerConfig;
  clock: ControllerClock;
  logger: Logger;
}

const NO_MERGE_ERRORS: readonly ExternalConfigMergeError[] = Object.freeze([]);

/** Every failed key of `error` is external config: neither one of the handlers' own values nor internal config. */
export function onlyExternalConfigFailed(error: Error, ownValues: KeyValuePairs, state: ConfigState): boolean {
  if (!(error instanceof TransactionError) || error.initError || error.keyErrors.length === 0) return false;
  return error.keyErrors.every(({ key }) => !ownValues.has(key) && !state.internalConfig.has(key));
}

/**
 * The internal config records what the handlers asked for, even when the southbound failed part
 * of it or was unavailable (it retries, and healing converges); only a reverted update leaves it
 * untouched.
 */
function keepInternalConfig(call: CommitCall, state: ConfigState, error: Error | undefined): void {
  if (call.resync === 'full' || call.resync === 'upstream') state.internalConfig.replace(call.txn.ownValues);
  else if (call.resync === undefined && !(error && call.revertOnFailure)) state.internalConfig.update(call.txn.ownValues);
}

function failedOutcome(error: Error, onlyExternal: boolean, mergeErrors: readonly ExternalConfigMergeError[]): CommitOutcome {
  return {
    committed: true,
    result: error instanceof TransactionError && error.recorded ? { seqNum: error.seqNum, recorded: error.recorded } : undefined,
    error,
    onlyExternalConfigFailed: onlyExternal,
    mergeErrors,
  };
}

/** The outcome of a commit call: a call that failed (the actor could not answer) failed its commit. */
export function commitOutcome(settled: CallOutcome<CommitOutcome>): CommitOutcome {
  return settled.ok ? settled.value : failedOutcome(settled.error, false, NO_MERGE_ERRORS);
}

/**
 * The transaction actor: long-lived, it merges external config into each event's transaction,
 * commits it to the southbound and keeps the internal config; with coalescing it accumulates the
 * transactions of a batch of updates and commits them as one. The processor sends a commit only
 * once the previous one is answered, unless the southbound takes several at once
 * (`maxCommitsInFlight`); it stages the next batch meanwhile: `commitStaged` hands over the
 * staged values and starts a new set. A commit the
 * southbound does not answer within `commitTimeout` is an outage (its fate is unknown: the full
 * resync after the outage settles it); a late answer is logged and ignored.
 */
export function transactionActorLogic(deps: TransactionActorDeps) {
  return fromReceiver<Request<TransactionCall>>(() => {
    const { state, config, southbound } = deps;
    const watchdog = new Watchdog(config.commitTimeout, deps.clock);
    const limit: CallTimeLimit<TransactionCall> = {
      watchdog,
      timeoutError: () => new SouthboundUnavailableError(`commit not answered within ${config.commitTimeout} ms`),
      onLateSettlement: (call, outcome) =>
        deps.logger.warn({ seqNum: call.seqNum, ...(outcome.ok ? {} : { err: outcome.error }) }, 'southbound answered a commit after its timeout; the answer is ignored'),
    };
    const retry: RetryOptions | undefined = config.enableRetry
      ? Object.freeze({ periodMs: config.delayRetry, maxAttempts: config.maxRetryAttempts, expBackoff: config.enableExpBackoffRetry })
      : undefined;
    /** The values staged for the next coalesced commit, in staging order. */
    let staged: KeyValuePairs = new Map();

    function request(shape: CommitShape, values: KeyValuePairs): CommitRequest {
      const commitRequest = new LazyCommitRequest(shape.describer, values, shape.revertOnFailure);
      if (shape.resync !== undefined) {
        commitRequest.resync = shape.resync;
        commitRequest.startup = shape.startup;
      }
      if (retry) commitRequest.retry = retry;
      return commitRequest;
    }

    /** Sends `values` (unless deferred) and answers with what `outcomeOf` makes of the result. */
    function send(call: Request<CommitCall | CommitStagedCall>, values: KeyValuePairs, outcomeOf: (result: CommitResult | undefined, error: Error | undefined) => CommitOutcome): void {
      if (call.deferred) {
        call.reply({ ok: true, value: outcomeOf(undefined, new SouthboundUnavailableError('transaction deferred to the resync after the outage')) });
        return;
      }
      let result: unknown;
      try {
        result = southbound.commit(request(call, values));
        // A southbound in this process may answer at once: no promise, no closure.
        if (!isThenable(result)) {
          call.reply({ ok: true, value: outcomeOf(result as CommitResult, undefined) });
          return;
        }
      } catch (thrown) {
        call.reply({ ok: true, value: outcomeOf(undefined, toError(thrown)) });
        return;
      }
      replyWithResult(
        result,
        (settled) => call.reply({ ok: true, value: settled.ok ? outcomeOf(settled.value as CommitResult, undefined) : outcomeOf(undefined, settled.error) }),
        limit,
        call,
      );
    }

    function commit(call: Request<CommitCall>): void {
      const merged = mergeExternalConfig(call.txn.ownValues, state, call.scope);
      if (merged.values.size === 0 && call.resync === undefined) {
        call.reply({ ok: true, value: { committed: false, onlyExternalConfigFailed: false, mergeErrors: merged.errors } satisfies CommitOutcome });
        return;
      }
      send(call, merged.values, (result, error) => {
        const onlyExternal = error ? onlyExternalConfigFailed(error, call.txn.ownValues, state) : false;
        keepInternalConfig(call, state, error);
        return error ? failedOutcome(error, onlyExternal, merged.errors) : { committed: true, result, onlyExternalConfigFailed: false, mergeErrors: merged.errors };
      });
    }

    const stageOne = (value: ProtoMessage | null, key: string): void => {
      staged.set(key, value);
    };

    function stage(call: Request<StageCall>): void {
      const merged = mergeExternalConfig(call.txn.ownValues, state, call.scope);
      // A key keeps the place of its first write (what depends on it was written after it), and
      // takes the value of its last. forEach: no [key, value] array per value.
      merged.values.forEach(stageOne);
      state.internalConfig.update(call.txn.ownValues);
      call.reply({ ok: true, value: { keys: merged.values, mergeErrors: merged.errors } satisfies StageOutcome });
    }

    function commitStaged(call: Request<CommitStagedCall>): void {
      const values = staged;
      staged = new Map();
      if (values.size === 0) {
        call.reply({ ok: true, value: { committed: false, onlyExternalConfigFailed: false, mergeErrors: NO_MERGE_ERRORS } satisfies CommitOutcome });
        return;
      }
      // Which keys are external only is decided per event by the processor (it knows each event's own values).
      send(call, values, (result, error) => (error ? failedOutcome(error, false, NO_MERGE_ERRORS) : { committed: true, result, onlyExternalConfigFailed: false, mergeErrors: NO_MERGE_ERRORS }));
    }

    return {
      receive(call) {
        // Whatever goes wrong here becomes the call's outcome: an error must never reach the actor system.
        try {
          if (call.type === 'commit') commit(call);
          else if (call.type === 'stage') stage(call);
          else commitStaged(call);
        } catch (error) {
          call.reply({ ok: false, error: toError(error) });
        }
      },
      stop: () => watchdog.stop(),
    };
  });
}
