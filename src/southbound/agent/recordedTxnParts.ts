import { batchesByBytes, anySize } from '../grpc/batching';
import { operationToWire, resyncToWire, txnTypeToWire } from '../grpc/convert';
import type { WireKeyValue, WireRecordedOperation, WireRecordedTxnPart } from '../grpc/wire';
import type { SchedulerRecordedTxn } from './types';

/**
 * Splits a recorded transaction into GetRecordedTxn parts: the header first, then the values,
 * then the executed operations, each part under `maxBytes`.
 */
export function* recordedTxnParts(txn: SchedulerRecordedTxn, instanceId: string, maxBytes: number): Generator<WireRecordedTxnPart> {
  yield {
    instanceId,
    header: {
      seqNum: txn.seqNum.toString(),
      txnType: txnTypeToWire(txn.txnType),
      resyncType: resyncToWire(txn.resyncType),
      description: txn.description,
      startUnixMs: String(txn.start),
      stopUnixMs: String(txn.stop),
    },
    values: [],
    executed: [],
  };
  const values: WireKeyValue[] = txn.values.map(({ key, value }) => ({ key, value }));
  for (const batch of batchesByBytes(values, (v) => v.key.length + anySize(v.value), maxBytes)) {
    yield { instanceId, header: null, values: batch, executed: [] };
  }
  const executed: WireRecordedOperation[] = txn.executed.map((op) => ({
    key: op.key,
    operation: operationToWire(op.operation),
    prevValue: op.prevValue ?? null,
    newValue: op.newValue ?? null,
    prevState: op.prevState,
    newState: op.newState,
    error: op.error ?? '',
    isRevert: op.isRevert,
    isRetry: op.isRetry,
  }));
  const sizeOf = (op: WireRecordedOperation): number => op.key.length + anySize(op.prevValue) + anySize(op.newValue) + op.error.length;
  for (const batch of batchesByBytes(executed, sizeOf, maxBytes)) {
    yield { instanceId, header: null, values: [], executed: batch };
  }
}
