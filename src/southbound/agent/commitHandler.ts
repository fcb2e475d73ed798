import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { operationToWire, resyncFromWire, uint64FromWire } from '../grpc/convert';
import type { WireCommitHeader, WireCommitRequest, WireCommitResponse } from '../grpc/wire';
import type { SchedulerEngine } from './scheduler';
import type { SchedulerCommitResult, SchedulerTxn, StoredValue } from './types';

/** Counters of the commit stream, for operators and for tests waiting on a condition. */
export interface CommitStreamStats {
  batchesReceived: number;
  commitsApplied: number;
  streamsAborted: number;
}

/**
 * The Commit handler: collects the header and the batches, and applies the transaction only
 * after the end marker and the client's half-close. A stream that breaks first (cancel,
 * deadline, lost connection) applies nothing.
 */
export function commitHandler(
  engine: SchedulerEngine,
  stats: CommitStreamStats,
  logger: Logger,
): grpc.handleClientStreamingCall<WireCommitRequest, WireCommitResponse> {
  return (call, callback) => {
    let header: WireCommitHeader | undefined;
    const values: { key: string; value: StoredValue | null }[] = [];
    let protocolError: string | undefined;
    let complete = false;
    let finished = false;

    call.on('data', (message: WireCommitRequest) => {
      stats.batchesReceived += 1;
      if (protocolError) return;
      if (complete) protocolError = 'commit stream: data after the end marker';
      else if (message.header) {
        if (header) protocolError = 'commit stream carries more than one header';
        header = message.header;
      } else if (message.batch) {
        if (!header) protocolError = 'commit stream: a batch came before the header';
        for (const kv of message.batch.values) values.push({ key: kv.key, value: kv.value ?? null });
      } else if (message.end) {
        complete = true;
      }
    });
    const abort = (reason: string): void => {
      if (finished) return;
      finished = true;
      stats.streamsAborted += 1;
      logger.warn({ reason, received: values.length }, 'commit stream broke before the end: nothing applied');
    };
    call.on('cancelled', () => abort('cancelled'));
    call.on('error', (error: Error) => abort(error.message));
    // grpc-js also ends the readable side when the client resets the stream (and reports the
    // cancel later): 'end' alone does not mean complete; the end marker does.
    call.on('end', () => setImmediate(() => {
      if (call.cancelled) abort('cancelled');
      if (finished) return;
      if (!complete && !protocolError) {
        abort('stream ended without its end marker');
        callback({ code: grpc.status.ABORTED, details: 'commit stream ended without its end marker: nothing applied' });
        return;
      }
      finished = true;
      if (!protocolError && !header) protocolError = 'commit stream carries no header';
      if (protocolError || !header) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: protocolError });
        return;
      }
      const result = applyCommit(engine, header, values);
      stats.commitsApplied += 1;
      callback(null, commitResponse(engine.instanceId, result));
    }));
  };
}

function applyCommit(engine: SchedulerEngine, header: WireCommitHeader, values: SchedulerTxn['values']): SchedulerCommitResult {
  const expected = uint64FromWire(header.valueCount);
  if (expected !== BigInt(values.length)) {
    return { initError: `commit stream carried ${values.length} values, its header announced ${expected}`, keyErrors: [] };
  }
  const options = header.options;
  const retry = options?.retry;
  return engine.commit({
    values,
    resync: options ? resyncFromWire(options.resyncType) : undefined,
    verbose: options?.verbose,
    revertOnFailure: options?.revertOnFailure,
    retry: retry ? { periodMs: retry.periodMs, maxAttempts: retry.maxAttempts, expBackoff: retry.expBackoff } : undefined,
    description: options?.description,
  });
}

function commitResponse(instanceId: string, result: SchedulerCommitResult): WireCommitResponse {
  return {
    instanceId,
    seqNum: result.seqNum === undefined ? undefined : result.seqNum.toString(),
    initError: result.initError ?? '',
    keyErrors: result.keyErrors.map((e) => ({ key: e.key, operation: operationToWire(e.operation), error: e.error })),
  };
}
