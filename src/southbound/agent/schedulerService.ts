import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { batchesByBytes } from '../grpc/batching';
import { keyStateSize, keyStateToWire, uint64FromWire, valueStatusToWire } from '../grpc/convert';
import type {
  WireDumpStateResponse,
  WireGetValueStatusResponse,
  WireRecordedTxnPart,
  WireValueStatus,
  WireWatchValueStatusResponse,
} from '../grpc/wire';
import { commitHandler, type CommitStreamStats } from './commitHandler';
import { recordedTxnParts } from './recordedTxnParts';
import type { SchedulerEngine } from './scheduler';
import { writeAll } from './streamWriter';
import type { ValueStatus } from './types';

/** Open WatchValueStatus streams, ended by the server when it stops. */
export type ActiveWatches = Set<() => void>;

/** The KVScheduler service over a scheduler engine. */
export function schedulerService(
  engine: SchedulerEngine,
  deps: { stats: CommitStreamStats; watches: ActiveWatches; maxBatchBytes: number; logger: Logger },
): grpc.UntypedServiceImplementation {
  const { maxBatchBytes, logger } = deps;
  const instanceId = engine.instanceId;

  const getRecordedTxn: grpc.handleServerStreamingCall<{ seqNum: string }, WireRecordedTxnPart> = (call) => {
    const seqNum = uint64FromWire(call.request.seqNum);
    const txn = engine.getRecordedTxn(seqNum);
    if (!txn) {
      call.emit('error', { code: grpc.status.NOT_FOUND, details: `no recorded transaction #${seqNum}` });
      return;
    }
    void streamThenEnd(call, recordedTxnParts(txn, instanceId, maxBatchBytes), logger);
  };

  const dumpState: grpc.handleServerStreamingCall<{ keyPrefix: string }, WireDumpStateResponse> = (call) => {
    const states = engine.dump(call.request.keyPrefix);
    const parts = (function* (): Generator<WireDumpStateResponse> {
      // Always one message at least: the instance id reaches the client even for an empty dump.
      let sent = false;
      for (const batch of batchesByBytes(states, keyStateSize, maxBatchBytes)) {
        sent = true;
        yield { instanceId, states: batch.map(keyStateToWire) };
      }
      if (!sent) yield { instanceId, states: [] };
    })();
    void streamThenEnd(call, parts, logger);
  };

  const getValueStatus: grpc.handleUnaryCall<{ key: string }, WireGetValueStatusResponse> = (call, callback) => {
    callback(null, { instanceId, status: valueStatusToWire(engine.getValueStatus(call.request.key)) });
  };

  const watchValueStatus: grpc.handleServerStreamingCall<{ keyPrefixes: string[] }, WireWatchValueStatusResponse> = (call) => {
    const prefixes = call.request.keyPrefixes;
    const matches = (status: ValueStatus): boolean => prefixes.length === 0 || prefixes.some((p) => status.key.startsWith(p));
    let pending: WireValueStatus[] = [];
    let flush: NodeJS.Immediate | undefined;
    // A transaction runs synchronously: buffering until setImmediate sends its changes together.
    const sendPending = (): void => {
      flush = undefined;
      const statuses = pending;
      pending = [];
      for (const batch of batchesByBytes(statuses, (s) => s.key.length + s.error.length + 16, maxBatchBytes)) {
        call.write({ instanceId, ready: false, statuses: batch });
      }
    };
    const stop = (): void => {
      subscription.unsubscribe();
      if (flush) clearImmediate(flush);
      deps.watches.delete(stop);
      if (!call.cancelled && !call.destroyed && !call.writableEnded) call.end();
    };
    const subscription = engine.statusChanges$.subscribe({
      next: (status) => {
        if (!matches(status)) return;
        pending.push(valueStatusToWire(status));
        flush ??= setImmediate(sendPending);
      },
      complete: stop,
    });
    deps.watches.add(stop);
    call.on('cancelled', stop);
    call.on('close', stop);
    call.write({ instanceId, ready: true, statuses: [] });
  };

  const implementation = {
    Commit: commitHandler(engine, deps.stats, logger),
    GetRecordedTxn: getRecordedTxn,
    DumpState: dumpState,
    GetValueStatus: getValueStatus,
    WatchValueStatus: watchValueStatus,
  };
  return implementation as unknown as grpc.UntypedServiceImplementation;
}

async function streamThenEnd<T>(call: grpc.ServerWritableStream<unknown, T>, messages: Iterable<T>, logger: Logger): Promise<void> {
  try {
    if (await writeAll(call, messages)) call.end();
  } catch (error) {
    logger.warn({ err: error }, 'server stream failed');
    call.emit('error', { code: grpc.status.INTERNAL, details: error instanceof Error ? error.message : String(error) });
  }
}
