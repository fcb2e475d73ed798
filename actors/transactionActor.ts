import type { Logger } from 'pino';
import { fromCallback } from 'xstate';
import type { ControllerClock } from '../src/api/clock';
import type { ControllerConfig } from '../src/api/config';
import { SouthboundUnavailableError, TransactionError, type ExternalConfigMergeError } from '../src/api/errors';
import type { CommitRequest, CommitResult, ResyncType, Southbound } from '../src/api/southbound';
import type { ConfigState } from '../src/loop/configState';
import type { EventTransaction } from '../src/loop/eventTransaction';
import { mergeExternalConfig, type MergeScope } from '../src/loop/externalConfigMerge';
import { replyWith, type CallTimeLimit, type Request } from './request';

/** Commit one event's transaction (steps 8 and 9 of "Processing one event"). */
export interface CommitCall {
  type: 'commit';
  seqNum: number;
  txn: EventTransaction;
  scope: MergeScope;
  description: string;
  resync?: ResyncType;
  startup: boolean;
  revertOnFailure: boolean;
  /**
   * The southbound is known to be unavailable: do not send the transaction, only keep the internal
   * config, and fail with SouthboundUnavailableError. The full resync after the outage carries it.
   */
  deferred: boolean;
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

function onlyExternalConfigFailed(error: Error, call: CommitCall, state: ConfigState): boolean {
  if (!(error instanceof TransactionError) || error.initError || error.keyErrors.length === 0) return false;
  return error.keyErrors.every(({ key }) => !call.txn.ownValues.has(key) && !state.internalConfig.has(key));
}

/** The request to the southbound, or undefined when there is nothing to commit. */
function commitRequest(call: CommitCall, values: CommitRequest['values'], config: ControllerConfig): CommitRequest | undefined {
  if (values.size === 0 && call.resync === undefined) return undefined;
  return {
    description: call.description,
    values,
    revertOnFailure: call.revertOnFailure,
    ...(call.resync !== undefined && { resync: call.resync, startup: call.startup }),
    ...(config.enableRetry && {
      retry: { periodMs: config.delayRetry, maxAttempts: config.maxRetryAttempts, expBackoff: config.enableExpBackoffRetry },
    }),
  };
}

/**
 * The internal config records what the handlers asked for, even when the southbound failed part
 * of it or was unavailable (it retries, and healing converges); only a reverted update leaves it
 * untouched.
 */
function keepInternalConfig(call: CommitCall, state: ConfigState, error: Error | undefined): void {
  if (call.resync === 'full' || call.resync === 'upstream') state.replaceInternal(call.txn.ownValues);
  else if (call.resync === undefined && !(error && call.revertOnFailure)) state.applyUpdate(call.txn.ownValues);
}

function outcomeOf(call: CommitCall, state: ConfigState, mergeErrors: readonly ExternalConfigMergeError[], result: CommitResult | undefined, error: Error | undefined): CommitOutcome {
  const externalOnly = error ? onlyExternalConfigFailed(error, call, state) : false;
  keepInternalConfig(call, state, error);
  if (!error) return { committed: true, result, onlyExternalConfigFailed: false, mergeErrors };
  return {
    committed: true,
    result: error instanceof TransactionError && error.recorded ? { seqNum: error.seqNum, recorded: error.recorded } : undefined,
    error,
    onlyExternalConfigFailed: externalOnly,
    mergeErrors,
  };
}

/**
 * The transaction actor: long-lived, it merges external config into each event's transaction,
 * commits it to the southbound and keeps the internal config. The processor awaits each commit,
 * so commits never overlap. A commit the southbound does not answer within `commitTimeout` is
 * treated as an outage (its fate is unknown: the full resync after the outage settles it); a late
 * answer is logged and ignored.
 */
export function transactionActorLogic(deps: TransactionActorDeps) {
  return fromCallback<Request<CommitCall>>(({ receive }) => {
    const { state, config, southbound } = deps;
    const limit: CallTimeLimit<CommitCall> = {
      ms: config.commitTimeout,
      clock: deps.clock,
      timeoutError: () => new SouthboundUnavailableError(`commit not answered within ${config.commitTimeout} ms`),
      onLateSettlement: (call, outcome) =>
        deps.logger.warn({ seqNum: call.seqNum, ...(outcome.ok ? {} : { err: outcome.error }) }, 'southbound answered a commit after its timeout; the answer is ignored'),
    };
    receive((call) => {
      const merged = mergeExternalConfig(call.txn.ownValues, state, call.scope);
      const request = commitRequest(call, merged.values, config);
      if (!request) {
        call.reply({ ok: true, value: { committed: false, onlyExternalConfigFailed: false, mergeErrors: merged.errors } satisfies CommitOutcome });
        return;
      }
      if (call.deferred) {
        const error = new SouthboundUnavailableError('transaction deferred to the resync after the outage');
        call.reply({ ok: true, value: outcomeOf(call, state, merged.errors, undefined, error) });
        return;
      }
      replyWith(
        () => southbound.commit(request),
        (settled) => {
          const outcome = settled.ok
            ? outcomeOf(call, state, merged.errors, settled.value as CommitResult, undefined)
            : outcomeOf(call, state, merged.errors, undefined, settled.error);
          call.reply({ ok: true, value: outcome });
        },
        limit,
        call,
      );
    });
  });
}
