import { fromCallback } from 'xstate';
import type { ControllerConfig } from '../src/api/config';
import { TransactionError, toError } from '../src/api/errors';
import type { CommitRequest, CommitResult, ResyncType, Southbound } from '../src/api/southbound';
import type { ConfigState } from '../src/loop/configState';
import type { EventTransaction } from '../src/loop/eventTransaction';
import { mergeExternalConfig, type MergeScope } from '../src/loop/externalConfigMerge';
import { replyWith, type Request } from './handlerActor';

/** Commit one event's transaction (steps 8 and 9 of "Processing one event"). */
export interface CommitCall {
  type: 'commit';
  txn: EventTransaction;
  scope: MergeScope;
  description: string;
  resync?: ResyncType;
  startup: boolean;
  revertOnFailure: boolean;
}

export interface CommitOutcome {
  /** False when there was nothing to commit (an empty update transaction). */
  committed: boolean;
  result?: CommitResult;
  error?: Error;
  /** Every failed key is external config: neither the handlers' own value nor internal config. */
  onlyExternalConfigFailed: boolean;
}

export interface TransactionActorDeps {
  southbound: Southbound;
  state: ConfigState;
  config: ControllerConfig;
}

function onlyExternalConfigFailed(error: Error, call: CommitCall, state: ConfigState): boolean {
  if (!(error instanceof TransactionError) || error.initError || error.keyErrors.length === 0) return false;
  return error.keyErrors.every(({ key }) => !call.txn.ownValues.has(key) && !state.internalConfig.has(key));
}

async function commit(call: CommitCall, deps: TransactionActorDeps): Promise<CommitOutcome> {
  const { state, config } = deps;
  const values = mergeExternalConfig(call.txn.ownValues, state, call.scope);
  if (values.size === 0 && call.resync === undefined) return { committed: false, onlyExternalConfigFailed: false };

  const request: CommitRequest = {
    description: call.description,
    values,
    revertOnFailure: call.revertOnFailure,
    ...(call.resync !== undefined && { resync: call.resync, startup: call.startup }),
    ...(config.enableRetry && {
      retry: { periodMs: config.delayRetry, maxAttempts: config.maxRetryAttempts, expBackoff: config.enableExpBackoffRetry },
    }),
  };
  let result: CommitResult | undefined;
  let error: Error | undefined;
  try {
    result = await deps.southbound.commit(request);
  } catch (thrown) {
    error = toError(thrown);
  }
  const externalOnly = error ? onlyExternalConfigFailed(error, call, state) : false;
  // The internal config records what the handlers asked for, even when the southbound failed part
  // of it (it retries, and healing converges); only a reverted update leaves it untouched.
  if (call.resync === 'full' || call.resync === 'upstream') state.replaceInternal(call.txn.ownValues);
  else if (call.resync === undefined && !(error && call.revertOnFailure)) state.applyUpdate(call.txn.ownValues);

  if (!error) return { committed: true, result, onlyExternalConfigFailed: false };
  return {
    committed: true,
    result: error instanceof TransactionError ? { seqNum: error.seqNum, recorded: error.recorded } : undefined,
    error,
    onlyExternalConfigFailed: externalOnly,
  };
}

/**
 * The transaction actor: long-lived, it merges external config into each event's transaction,
 * commits it to the southbound and keeps the internal config. The processor awaits each commit,
 * so commits never overlap.
 */
export function transactionActorLogic(deps: TransactionActorDeps) {
  return fromCallback<Request<CommitCall>>(({ receive }) => {
    receive((request) => replyWith(() => commit(request, deps), request.reply));
  });
}
