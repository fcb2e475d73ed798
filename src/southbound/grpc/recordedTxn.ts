import type { CommitRequest, RecordedOperation, RecordedTransaction } from '../../api/southbound';
import type { AnyCodec } from './anyCodec';
import { anyFromWire, operationFromWire, resyncFromWire, stateFromWire, txnTypeFromWire, uint64FromWire } from './convert';
import { operationOfNumber, stateOfNumber, type SessionOperation, type SessionTxnResult } from './sessionCodec';
import type { PackedTxnValues } from './packedTxn';
import type { WireKeyValue, WireRecordedOperation, WireRecordedTxnPart } from './wire';

/** Replaces a lazy property by its value, once computed (or set). */
function keep<T extends object>(target: T, key: keyof T, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Value i as JSON; a value the client did not send renders as its type and why. */
function sentValueJson(packed: PackedTxnValues, i: number, codec: AnyCodec): unknown {
  const error = packed.errors?.get(i);
  if (error !== undefined) return { '@type': packed.typeUrls[i], error };
  return codec.toJson(packed.value(i));
}

function operationsFromSession(ops: readonly SessionOperation[], packed: PackedTxnValues, codec: AnyCodec): RecordedOperation[] {
  const out: RecordedOperation[] = [];
  const newValueJson = (op: SessionOperation): unknown => {
    if (!op.newValueAsSent) return codec.toJson(op.newValue);
    const index = packed.indexOf(op.key);
    return index === undefined ? undefined : codec.toJson(packed.value(index));
  };
  for (const op of ops) {
    const previous = out[out.length - 1];
    if (op.continues && previous?.key === op.key) {
      previous.newValue = newValueJson(op);
      continue;
    }
    out.push({
      key: op.key,
      operation: operationOfNumber(op.operation) ?? 'UPDATE',
      prevValue: codec.toJson(op.prevValue),
      newValue: newValueJson(op),
      prevState: stateOfNumber(op.prevState),
      newState: stateOfNumber(op.newState),
      error: op.error || undefined,
      isRevert: op.isRevert,
      isRetry: op.isRetry,
    });
  }
  return out;
}

/**
 * The recorded transaction of a commit: the header and values from the request (the client has
 * them), the executed operations from the result. Values render as JSON only when first read,
 * so a commit nobody looks at pays nothing for it.
 */
export function recordedTxnOfCommit(
  commit: { request: CommitRequest; packed: PackedTxnValues; result: SessionTxnResult; seqNum: bigint },
  codec: AnyCodec,
): RecordedTransaction {
  const { request, packed, result, seqNum } = commit;
  const executed = result.executed;
  // Getters in the literal are own enumerable properties: JSON.stringify (the REST history) and
  // test matchers see them like any other, and the object keeps one shape.
  const txn: RecordedTransaction = {
    seqNum,
    txnType: 'nb',
    resyncType: request.resync,
    description: request.description,
    start: result.startUnixMs,
    stop: result.stopUnixMs,
    get values() {
      const values = packed.keys.map((key, i) => ({ key, value: sentValueJson(packed, i, codec) }));
      keep(txn, 'values', values);
      return values;
    },
    set values(values) {
      keep(txn, 'values', values);
    },
    get executed() {
      const operations = operationsFromSession(executed, packed, codec);
      keep(txn, 'executed', operations);
      return operations;
    },
    set executed(operations) {
      keep(txn, 'executed', operations);
    },
  };
  return txn;
}

function wireValueJson(kv: WireKeyValue, codec: AnyCodec): unknown {
  if (kv.valueError) return { error: kv.valueError };
  return codec.toJson(anyFromWire(kv.value));
}

function operationFromWireRecord(op: WireRecordedOperation, codec: AnyCodec): RecordedOperation {
  return {
    key: op.key,
    operation: operationFromWire(op.operation) ?? 'UPDATE',
    prevValue: codec.toJson(anyFromWire(op.prevValue)),
    newValue: codec.toJson(anyFromWire(op.newValue)),
    prevState: stateFromWire(op.prevState),
    newState: stateFromWire(op.newState),
    error: op.error || undefined,
    isRevert: op.isRevert,
    isRetry: op.isRetry,
  };
}

/** Reassembles the GetRecordedTxn parts into the controller's RecordedTransaction (values as JSON). */
export function recordedTxnFromParts(parts: readonly WireRecordedTxnPart[], codec: AnyCodec): RecordedTransaction | undefined {
  const header = parts.find((part) => part.header)?.header;
  if (!header) return undefined;
  const txn: RecordedTransaction = {
    seqNum: uint64FromWire(header.seqNum),
    txnType: txnTypeFromWire(header.txnType),
    resyncType: resyncFromWire(header.resyncType),
    description: header.description,
    start: Number(header.startUnixMs),
    stop: Number(header.stopUnixMs),
    values: [],
    executed: [],
  };
  for (const part of parts) {
    for (const kv of part.values) txn.values.push({ key: kv.key, value: wireValueJson(kv, codec) });
    for (const op of part.executed) {
      const previous = txn.executed[txn.executed.length - 1];
      if (op.continues && previous?.key === op.key) previous.newValue = codec.toJson(anyFromWire(op.newValue));
      else txn.executed.push(operationFromWireRecord(op, codec));
    }
  }
  return txn;
}
