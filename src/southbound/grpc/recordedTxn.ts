import type { CommitRequest, RecordedOperation, RecordedTransaction } from '../../api/southbound';
import type { AnyCodec } from './anyCodec';
import type { KeptBytes } from './keptBytes';
import type { TxnAnswer } from './pendingTxn';
import { anyFromWire, operationFromWire, resyncFromWire, stateFromWire, txnTypeFromWire, uint64FromWire } from './convert';
import type { PackedValue } from './model';
import { decodeExecuted, operationOfNumber, stateOfNumber, type SessionOperation } from './sessionCodec';
import { decodeSessionRequest, type SessionKeyValue } from './sessionRequestDecoder';
import type { WireKeyValue, WireRecordedOperation, WireRecordedTxnPart } from './wire';

/** Replaces a lazy property by its value, once computed (or set). */
function keep<T extends object>(target: T, key: keyof T, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The values the client sent: decoded from its parts, or packed again from the request. */
function sentValues(source: RecordedSource): SessionKeyValue[] {
  const values: SessionKeyValue[] = [];
  const { sent } = source;
  if (Array.isArray(sent)) {
    for (const part of sent) for (const kv of decodeSessionRequest(part).message.values) values.push(kv);
    return values;
  }
  const { notSent, codec } = source;
  // Packed the way the parts were: the rendering is the same either way.
  for (const [key, message] of (sent as CommitRequest).values) {
    const skipped = notSent?.get(key);
    if (skipped) values.push({ key, value: null, valueError: skipped.error });
    else values.push({ key, value: message ? codec.pack(key, message) : null });
  }
  return values;
}

/** A value as JSON; one the client did not send renders as its type and why. */
function sentValueJson(kv: SessionKeyValue, notSent: NotSentValues | undefined, codec: AnyCodec): unknown {
  if (kv.valueError) return { '@type': notSent?.get(kv.key)?.typeUrl, error: kv.valueError };
  return codec.toJson(kv.value ?? undefined);
}

function operationsOf(source: RecordedSource): RecordedOperation[] {
  const { received, codec } = source;
  const ops: SessionOperation[] = [];
  for (const raw of received) decodeExecuted(raw, ops);
  let sent: SessionKeyValue[] | undefined;
  let sentByKey: Map<string, PackedValue | null> | undefined;
  // An operation may name the transaction's value by number instead of repeating its key.
  const sentValue = (number: number): SessionKeyValue | undefined => (sent ??= sentValues(source))[number - 1];
  const newValueJson = (op: SessionOperation): unknown => {
    if (!op.newValueAsSent) return codec.toJson(op.newValue);
    if (op.valueNumber > 0) return codec.toJson(sentValue(op.valueNumber)?.value ?? undefined);
    sentByKey ??= new Map((sent ??= sentValues(source)).map((kv) => [kv.key, kv.value]));
    return codec.toJson(sentByKey.get(op.key) ?? undefined);
  };
  const out: RecordedOperation[] = [];
  for (const op of ops) {
    if (op.valueNumber > 0) op.key = sentValue(op.valueNumber)?.key ?? `<value #${op.valueNumber} of ${sent?.length ?? 0}>`;
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

/** Values the client did not send (over the protocol's bound), by key: their type URL and why. */
export type NotSentValues = ReadonlyMap<string, { typeUrl: string; error: string }>;

/** What a commit's recorded transaction is decoded from when first read. */
interface RecordedSource {
  /** The southbound's messages about the transaction (its result parts, then its result). */
  received: readonly Buffer[];
  /**
   * The parts the client sent (the first begins with the transaction's options), or, for a big
   * transaction, the request itself: its messages are the ones the internal config keeps anyway,
   * while its parts would be tens of MB more for the whole life of the history record.
   */
  sent: readonly Buffer[] | CommitRequest;
  notSent: NotSentValues | undefined;
  codec: AnyCodec;
}

const SOURCE = Symbol('recorded transaction source');
type LazyRecordedTxn = RecordedTransaction & { [SOURCE]: RecordedSource };

/*
 * The lazy fields, one set of accessor functions for every recorded transaction: a getter in an
 * object literal is a new function (and closure) per object, and the event history keeps one
 * recorded transaction per event for thousands of events; what it keeps is copied by the
 * scavenger and promoted (the strict rows over gRPC spent more time on that than on the commit's
 * own encoding).
 */
const LAZY_FIELDS: PropertyDescriptorMap = {
  description: lazyField(({ sent }) => {
    if (!Array.isArray(sent)) return (sent as CommitRequest).description;
    const begin = sent.length > 0 ? decodeSessionRequest(sent[0]).message.begin : undefined;
    return begin?.options?.description ?? '';
  }, 'description'),
  values: lazyField((source) => sentValues(source).map((kv) => ({ key: kv.key, value: sentValueJson(kv, source.notSent, source.codec) })), 'values'),
  executed: lazyField(operationsOf, 'executed'),
};

/** An own enumerable accessor that computes the field once, then keeps it as a plain value. */
function lazyField(compute: (source: RecordedSource) => unknown, key: 'description' | 'values' | 'executed'): PropertyDescriptor {
  return {
    enumerable: true,
    configurable: true,
    get(this: LazyRecordedTxn) {
      const value = compute(this[SOURCE]);
      keep(this, key, value);
      return value;
    },
    set(this: LazyRecordedTxn, value: unknown) {
      keep(this, key, value);
    },
  };
}

/**
 * The recorded transaction of a commit. It keeps the messages that carried the transaction both
 * ways, as bytes in `kept` (or the request instead of the parts sent, when `keptSent` is false),
 * and decodes them only when `description`, `values` or `executed` is first read (the REST
 * history): a commit nobody looks at costs its bytes and two small objects in the event history,
 * not an object per value. The other fields come from the request and the result.
 */
export function recordedTxnOfCommit(
  commit: { request: CommitRequest; answer: TxnAnswer; seqNum: bigint; keptSent: boolean; notSent?: NotSentValues },
  codec: AnyCodec,
  kept: KeptBytes,
): RecordedTransaction {
  const { request, answer, seqNum, notSent } = commit;
  const txn = { seqNum, txnType: 'nb', resyncType: request.resync, start: answer.result.startUnixMs, stop: answer.result.stopUnixMs };
  // The messages are copied where they pin no network buffers (see KeptBytes), into arrays of
  // exactly their length (an array grown by push keeps room for 16 more).
  const source: RecordedSource = { received: kept.keepAll(answer.received), sent: commit.keptSent ? kept.keepAll(answer.sent) : request, notSent, codec };
  // Not enumerable: JSON.stringify, spreads and test matchers see the transaction's fields only.
  Object.defineProperty(txn, SOURCE, { value: source });
  // Own enumerable accessors: JSON.stringify, spreads and matchers read them like any other field.
  return Object.defineProperties(txn, LAZY_FIELDS) as unknown as RecordedTransaction;
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
