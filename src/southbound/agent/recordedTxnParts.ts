import { anySize, batchesByBytes, splitPairs } from '../grpc/batching';
import { operationToWire, resyncToWire, txnTypeToWire } from '../grpc/convert';
import type { WireKeyValue, WireRecordedOperation, WireRecordedTxnPart } from '../grpc/wire';
import type { SchedulerRecordedOperation, SchedulerRecordedTxn, SchedulerTxnValue } from './types';

function valueToWire({ key, value, valueError }: SchedulerTxnValue): WireKeyValue {
  return { key, value, valueError: valueError ?? '' };
}

function operationToWireRecord(op: SchedulerRecordedOperation): WireRecordedOperation {
  return {
    key: op.key,
    operation: operationToWire(op.operation),
    prevValue: op.prevValue ?? null,
    newValue: op.newValue ?? null,
    prevState: op.prevState,
    newState: op.newState,
    error: op.error ?? '',
    isRevert: op.isRevert,
    isRetry: op.isRetry,
    continues: false,
  };
}

function* wireOperations(ops: Iterable<SchedulerRecordedOperation>): Generator<WireRecordedOperation> {
  for (const op of ops) yield operationToWireRecord(op);
}

/** The second half of a split operation carries only its new value (see the .proto). */
function splitOperation(op: WireRecordedOperation): [WireRecordedOperation, WireRecordedOperation] {
  return [
    { ...op, newValue: null },
    { ...op, prevValue: null, error: '', continues: true },
  ];
}

/**
 * Splits a recorded transaction into GetRecordedTxn parts: the header first, then the values,
 * then the executed operations, each part under `maxBytes` (or one value, when it is bigger).
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
  const values = txn.values.map(valueToWire);
  for (const batch of batchesByBytes(values, (v) => v.key.length + anySize(v.value) + (v.valueError?.length ?? 0), maxBytes)) {
    yield { instanceId, header: null, values: batch, executed: [] };
  }
  const executed = splitPairs(wireOperations(txn.executed), (op) => [anySize(op.prevValue), anySize(op.newValue)], maxBytes, splitOperation);
  const sizeOf = (op: WireRecordedOperation): number => op.key.length + anySize(op.prevValue) + anySize(op.newValue) + op.error.length;
  for (const batch of batchesByBytes(executed, sizeOf, maxBytes)) {
    yield { instanceId, header: null, values: [], executed: batch };
  }
}
