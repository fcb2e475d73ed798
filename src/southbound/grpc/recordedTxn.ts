import type { RecordedTransaction } from '../../api/southbound';
import type { AnyCodec } from './anyCodec';
import { anyFromWire, operationFromWire, resyncFromWire, stateFromWire, txnTypeFromWire, uint64FromWire } from './convert';
import type { WireRecordedTxnPart } from './wire';

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
    for (const kv of part.values) txn.values.push({ key: kv.key, value: codec.toJson(anyFromWire(kv.value)) });
    for (const op of part.executed) {
      txn.executed.push({
        key: op.key,
        operation: operationFromWire(op.operation) ?? 'UPDATE',
        prevValue: codec.toJson(anyFromWire(op.prevValue)),
        newValue: codec.toJson(anyFromWire(op.newValue)),
        prevState: stateFromWire(op.prevState),
        newState: stateFromWire(op.newState),
        error: op.error || undefined,
        isRevert: op.isRevert,
        isRetry: op.isRetry,
      });
    }
  }
  return txn;
}
