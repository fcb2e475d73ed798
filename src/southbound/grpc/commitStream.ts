import type * as grpc from '@grpc/grpc-js';
import type { CommitRequest } from '../../api/southbound';
import { anySize, batchesByBytes } from './batching';
import { resyncToWire } from './convert';
import type { PackedValue } from './model';
import type { WireCommitRequest, WireCommitResponse, WireKeyValue } from './wire';

/** The header of a commit stream: the transaction's options and its value count. */
export function commitHeader(request: CommitRequest, valueCount: number): WireCommitRequest {
  return {
    header: {
      options: {
        resyncType: resyncToWire(request.resync),
        verbose: request.startup ?? false,
        retry: request.retry
          ? { periodMs: Math.round(request.retry.periodMs), maxAttempts: request.retry.maxAttempts, expBackoff: request.retry.expBackoff }
          : null,
        revertOnFailure: request.revertOnFailure,
        description: request.description,
      },
      valueCount,
    },
  };
}

/**
 * Sends one transaction over a Commit client stream: the header, then batches of values under
 * `maxBatchBytes` (waiting for 'drain' when grpc-js buffers fill), then the end marker and the
 * half-close that together tell the server to apply it. Resolves with the server's response.
 */
export function sendCommit(
  openStream: (callback: (error: grpc.ServiceError | null, response?: WireCommitResponse) => void) => grpc.ClientWritableStream<WireCommitRequest>,
  header: WireCommitRequest,
  values: ReadonlyArray<{ key: string; value: PackedValue | null }>,
  maxBatchBytes: number,
): Promise<WireCommitResponse> {
  return new Promise<WireCommitResponse>((resolve, reject) => {
    let settled = false;
    const call = openStream((error, response) => {
      settled = true;
      if (error) reject(error);
      else if (!response) reject(new Error('commit: empty response'));
      else resolve(response);
    });
    const batches = batchesByBytes<WireKeyValue>(
      values.map(({ key, value }) => ({ key, value })),
      (kv) => kv.key.length + anySize(kv.value),
      maxBatchBytes,
    );
    const writeRest = (): void => {
      for (;;) {
        if (settled) return;
        const next = batches.next();
        if (next.done) {
          call.write({ end: {} });
          call.end();
          return;
        }
        if (!call.write({ batch: { values: next.value } })) {
          call.once('drain', writeRest);
          return;
        }
      }
    };
    call.on('error', () => {
      // Reported through the callback; the listener keeps the stream from throwing.
    });
    if (call.write(header)) writeRest();
    else call.once('drain', writeRest);
  });
}
