import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { anySize, batchesByBytes, splitPairs } from '../grpc/batching';
import { keyStateToWire, uint64FromWire, valueStatusToWire, wireKeyStateSize } from '../grpc/convert';
import type { ReceivedPart } from '../grpc/sessionRequestDecoder';
import type {
  WireDumpStateResponse,
  WireGetValueStatusResponse,
  WireKeyState,
  WireRecordedTxnPart,
  WireValueStatus,
  WireWatchValueStatusResponse,
} from '../grpc/wire';
import { recordedTxnParts } from './recordedTxnParts';
import type { SchedulerEngine } from './scheduler';
import { ServerSession, type SessionLimits, type SessionStats } from './serverSession';
import { writeAll } from './streamWriter';
import type { KeyStateDump, ValueStatus } from './types';

/** Open WatchValueStatus streams, ended by the server when it stops. */
export type ActiveWatches = Set<() => void>;
/** Open Session streams, shut down by the server when it stops. */
export type ActiveSessions = Set<ServerSession>;

/** A key state whose two values do not fit in one message together goes as two (see the .proto). */
function splitKeyState(state: WireKeyState): [WireKeyState, WireKeyState] {
  return [
    { ...state, appliedValue: null },
    { key: state.key, desiredValue: null, appliedValue: state.appliedValue, state: state.state, error: '', lastOperation: state.lastOperation, dependencies: [], continues: true },
  ];
}

function* wireStates(states: Iterable<KeyStateDump>): Generator<WireKeyState> {
  for (const state of states) yield keyStateToWire(state);
}

/** The KVScheduler service over a scheduler engine. */
export function schedulerService(
  engine: SchedulerEngine,
  deps: { stats: SessionStats; watches: ActiveWatches; sessions: ActiveSessions; limits: SessionLimits; logger: Logger; isStopping: () => boolean },
): grpc.UntypedServiceImplementation {
  const { logger, limits } = deps;
  const { maxBatchBytes } = limits;
  const instanceId = engine.instanceId;

  const session: grpc.handleBidiStreamingCall<ReceivedPart, Buffer> = (call) => {
    if (deps.isStopping()) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'the southbound is shutting down' });
      return;
    }
    const opened = new ServerSession(call, engine, { stats: deps.stats, limits, logger, onGone: (gone) => deps.sessions.delete(gone) });
    deps.sessions.add(opened);
  };

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
    const states = splitPairs(wireStates(engine.dump(call.request.keyPrefix)), (s) => [anySize(s.desiredValue), anySize(s.appliedValue)], maxBatchBytes, splitKeyState);
    const parts = (function* (): Generator<WireDumpStateResponse> {
      // Always one message at least: the instance id reaches the client even for an empty dump.
      let sent = false;
      for (const batch of batchesByBytes(states, wireKeyStateSize, maxBatchBytes)) {
        sent = true;
        yield { instanceId, states: batch };
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
    Session: session,
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
