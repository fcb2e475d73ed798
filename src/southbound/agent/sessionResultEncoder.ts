import { operationNumber, stateNumber } from '../grpc/sessionCodec';
import {
  StringBytes,
  WIRE_LEN,
  WIRE_VARINT,
  bigVarintSize,
  delimitedSize,
  tag,
  varintSize,
  writeBigVarint,
  writeRaw,
  writeString,
  writeVarint,
} from '../grpc/wireBytes';
import type { SchedulerCommitResult, SchedulerKeyError, SchedulerRecordedOperation, SchedulerRecordedTxn, StoredValue } from './types';

/*
 * The scheduler's answers on the Session stream, encoded by hand: a 100,000-value resync
 * answers with 100,000 executed operations, and protobufjs would build a writer operation per
 * field of each. Field numbers and wire types follow southbound.proto:
 *   SessionResponse { 2: part TxnResultPart, 3: result TxnResult }
 *   TxnResultPart { 1: txn_id, 2: key_errors, 3: executed }
 *   TxnResult { 1: txn_id, 2: seq_num, 3: init_error, 4: key_errors, 5: executed, 6: start_unix_ms, 7: stop_unix_ms }
 *   KeyError { 1: key, 2: operation, 3: error }
 *   RecordedOperation { 1: key, 2: operation, 3: prev_value, 4: new_value, 5: prev_state, 6: new_state,
 *                       7: error, 8: is_revert, 9: is_retry, 10: continues, 11: new_value_as_sent,
 *                       12: value_number }
 *   Any { 1: type_url, 2: value }
 */

/** How an operation goes: whole, or split in two when its two values do not fit in one message together. */
const WHOLE = 0;
const FIRST_HALF = 1;
const SECOND_HALF = 2;
const WHOLE_ONLY = [WHOLE];
const SPLIT = [FIRST_HALF, SECOND_HALF];

/**
 * From this many executed operations on, an operation that set the value as sent names that value
 * by its number instead of repeating its key, when the client reads value numbers: the keys were
 * about 80% of a 100,000-pod resync's answer (19 MB), which the client receives and keeps.
 */
export const VALUE_NUMBERS_FROM_OPERATIONS = 4096;

/** The entries of one message: key errors, then operations, with their encoded sizes. */
class Batch {
  keyErrors: SchedulerKeyError[] = [];
  keyErrorSizes: number[] = [];
  ops: SchedulerRecordedOperation[] = [];
  /** UTF-8 length of each operation's key; 0 when it goes by its value's number. */
  keyBytes: number[] = [];
  /** The number of the operation's value, or 0 (the key goes). */
  valueNumbers: number[] = [];
  halves: number[] = [];
  asSent: boolean[] = [];
  opSizes: number[] = [];
  bytes = 0;

  get empty(): boolean {
    return this.keyErrors.length === 0 && this.ops.length === 0;
  }
}

/** Type URLs and errors repeat from one answer to the next. */
const strings = new StringBytes();

class ResultEncoder {
  constructor(
    private readonly txnId: number,
    private readonly maxBytes: number,
  ) {}

  anySize(value: StoredValue): number {
    return delimitedSize(strings.of(value.type_url).length) + delimitedSize(value.value.length);
  }

  keyErrorSize(e: SchedulerKeyError): number {
    return delimitedSize(Buffer.byteLength(e.key)) + 1 + varintSize(operationNumber(e.operation)) + delimitedSize(Buffer.byteLength(e.error));
  }

  opSize(op: SchedulerRecordedOperation, keyBytes: number, valueNumber: number, half: number, asSent: boolean): number {
    let size = (valueNumber > 0 ? 1 + varintSize(valueNumber) : delimitedSize(keyBytes)) + 1 + varintSize(operationNumber(op.operation));
    if (half !== SECOND_HALF) {
      if (op.prevValue) size += delimitedSize(this.anySize(op.prevValue));
      size += 1 + varintSize(stateNumber(op.prevState)) + 1 + varintSize(stateNumber(op.newState));
      if (op.error) size += delimitedSize(Buffer.byteLength(op.error));
      if (op.isRevert) size += 2;
      if (op.isRetry) size += 2;
    } else {
      size += 2;
    }
    if (half !== FIRST_HALF) {
      if (asSent) size += 2;
      else if (op.newValue) size += delimitedSize(this.anySize(op.newValue));
    }
    return size;
  }

  /** Whether an entry of `size` bytes would overflow the batch (a batch takes at least one entry). */
  overflows(batch: Batch, size: number): boolean {
    return !batch.empty && batch.bytes + delimitedSize(size) > this.maxBytes;
  }

  entriesSize(batch: Batch): number {
    let size = 0;
    for (const s of batch.keyErrorSizes) size += delimitedSize(s);
    for (const s of batch.opSizes) size += delimitedSize(s);
    return size;
  }

  /**
   * Starts a SessionResponse of field `field`, sized once for the buffer and its length prefix
   * alike: the transaction id is written; the caller writes the rest, the batch's entries and
   * `extra` bytes of fields of its own.
   */
  private open(field: number, batch: Batch, extra: number): { buf: Buffer; pos: number } {
    const inner = 1 + varintSize(this.txnId) + this.entriesSize(batch) + extra;
    const buf = Buffer.allocUnsafe(delimitedSize(inner));
    let pos = 0;
    buf[pos++] = tag(field, WIRE_LEN);
    pos = writeVarint(buf, pos, inner);
    buf[pos++] = tag(1, WIRE_VARINT);
    pos = writeVarint(buf, pos, this.txnId);
    return { buf, pos };
  }

  /** SessionResponse{part: TxnResultPart}. */
  part(batch: Batch): Buffer {
    const { buf, pos } = this.open(2, batch, 0);
    this.writeEntries(buf, pos, batch, 2, 3);
    return buf;
  }

  /** SessionResponse{result: TxnResult}. */
  result(batch: Batch, result: SchedulerCommitResult, recorded: SchedulerRecordedTxn | undefined): Buffer {
    const initError = result.initError ? strings.of(result.initError) : undefined;
    const start = recorded?.start ?? 0;
    const stop = recorded?.stop ?? 0;
    let extra = 0;
    if (result.seqNum !== undefined) extra += 1 + bigVarintSize(result.seqNum);
    if (initError) extra += delimitedSize(initError.length);
    if (start) extra += 1 + varintSize(start);
    if (stop) extra += 1 + varintSize(stop);
    const opened = this.open(3, batch, extra);
    const { buf } = opened;
    let { pos } = opened;
    if (result.seqNum !== undefined) {
      buf[pos++] = tag(2, WIRE_VARINT);
      pos = writeBigVarint(buf, pos, result.seqNum);
    }
    if (initError) {
      buf[pos++] = tag(3, WIRE_LEN);
      pos = writeVarint(buf, pos, initError.length);
      pos = writeRaw(buf, pos, initError);
    }
    pos = this.writeEntries(buf, pos, batch, 4, 5);
    if (start) {
      buf[pos++] = tag(6, WIRE_VARINT);
      pos = writeVarint(buf, pos, start);
    }
    if (stop) {
      buf[pos++] = tag(7, WIRE_VARINT);
      pos = writeVarint(buf, pos, stop);
    }
    return buf;
  }

  private writeEntries(buf: Buffer, pos: number, batch: Batch, keyErrorField: number, opField: number): number {
    for (let i = 0; i < batch.keyErrors.length; i++) {
      const e = batch.keyErrors[i];
      buf[pos++] = tag(keyErrorField, WIRE_LEN);
      pos = writeVarint(buf, pos, batch.keyErrorSizes[i]);
      pos = this.writeText(buf, pos, 1, e.key);
      buf[pos++] = tag(2, WIRE_VARINT);
      pos = writeVarint(buf, pos, operationNumber(e.operation));
      pos = this.writeText(buf, pos, 3, e.error);
    }
    for (let i = 0; i < batch.ops.length; i++) {
      buf[pos++] = tag(opField, WIRE_LEN);
      pos = writeVarint(buf, pos, batch.opSizes[i]);
      pos = this.writeOp(buf, pos, batch.ops[i], batch.keyBytes[i], batch.valueNumbers[i], batch.halves[i], batch.asSent[i]);
    }
    return pos;
  }

  private writeOp(buf: Buffer, pos: number, op: SchedulerRecordedOperation, keyBytes: number, valueNumber: number, half: number, asSent: boolean): number {
    if (valueNumber > 0) {
      buf[pos++] = tag(12, WIRE_VARINT);
      pos = writeVarint(buf, pos, valueNumber);
    } else {
      buf[pos++] = tag(1, WIRE_LEN);
      pos = writeVarint(buf, pos, keyBytes);
      pos = writeString(buf, pos, op.key, keyBytes);
    }
    buf[pos++] = tag(2, WIRE_VARINT);
    pos = writeVarint(buf, pos, operationNumber(op.operation));
    if (half !== SECOND_HALF && op.prevValue) pos = this.writeAny(buf, pos, 3, op.prevValue);
    if (half !== FIRST_HALF && !asSent && op.newValue) pos = this.writeAny(buf, pos, 4, op.newValue);
    if (half !== SECOND_HALF) {
      buf[pos++] = tag(5, WIRE_VARINT);
      pos = writeVarint(buf, pos, stateNumber(op.prevState));
      buf[pos++] = tag(6, WIRE_VARINT);
      pos = writeVarint(buf, pos, stateNumber(op.newState));
      if (op.error) pos = this.writeText(buf, pos, 7, op.error);
      if (op.isRevert) pos = writeFlag(buf, pos, 8);
      if (op.isRetry) pos = writeFlag(buf, pos, 9);
    } else {
      pos = writeFlag(buf, pos, 10);
    }
    if (half !== FIRST_HALF && asSent) pos = writeFlag(buf, pos, 11);
    return pos;
  }

  private writeText(buf: Buffer, pos: number, field: number, text: string): number {
    const length = Buffer.byteLength(text);
    buf[pos++] = tag(field, WIRE_LEN);
    pos = writeVarint(buf, pos, length);
    return writeString(buf, pos, text, length);
  }

  private writeAny(buf: Buffer, pos: number, field: number, value: StoredValue): number {
    const typeUrl = strings.of(value.type_url);
    buf[pos++] = tag(field, WIRE_LEN);
    pos = writeVarint(buf, pos, delimitedSize(typeUrl.length) + delimitedSize(value.value.length));
    buf[pos++] = tag(1, WIRE_LEN);
    pos = writeVarint(buf, pos, typeUrl.length);
    pos = writeRaw(buf, pos, typeUrl);
    buf[pos++] = tag(2, WIRE_LEN);
    pos = writeVarint(buf, pos, value.value.length);
    return writeRaw(buf, pos, value.value);
  }
}

/** SessionResponse{hello: Hello{instance_id}}: the first message of every session. */
export function helloMessage(instanceId: string): Buffer {
  const id = Buffer.from(instanceId);
  const hello = delimitedSize(id.length);
  const buf = Buffer.allocUnsafe(delimitedSize(hello));
  let pos = 0;
  buf[pos++] = tag(1, WIRE_LEN);
  pos = writeVarint(buf, pos, hello);
  buf[pos++] = tag(1, WIRE_LEN);
  pos = writeVarint(buf, pos, id.length);
  writeRaw(buf, pos, id);
  return buf;
}

function writeFlag(buf: Buffer, pos: number, field: number): number {
  buf[pos++] = tag(field, WIRE_VARINT);
  buf[pos++] = 1;
  return pos;
}

/**
 * The messages answering one transaction: its key errors, then (when recorded) its executed
 * operations, in batches of about `maxBytes`; all but the last as TxnResultParts, the last in the
 * TxnResult. An operation that set the value the transaction carried for its key leaves that
 * value out (`new_value_as_sent`): the client has it; in a big answer to a client that reads value
 * numbers, it names that value by number instead of repeating the key.
 */
export function* resultMessages(
  txnId: number,
  result: SchedulerCommitResult,
  recorded: SchedulerRecordedTxn | undefined,
  options: { maxBytes: number; readsValueNumbers: boolean },
): Generator<Buffer> {
  const { maxBytes } = options;
  const encoder = new ResultEncoder(txnId, maxBytes);
  // The number of each operation's value comes from its execution (no index of 100,000 keys here).
  const numbered = recorded !== undefined && options.readsValueNumbers && recorded.executed.length >= VALUE_NUMBERS_FROM_OPERATIONS;
  let batch = new Batch();
  for (const e of result.keyErrors) {
    const size = encoder.keyErrorSize(e);
    if (encoder.overflows(batch, size)) {
      yield encoder.part(batch);
      batch = new Batch();
    }
    batch.keyErrors.push(e);
    batch.keyErrorSizes.push(size);
    batch.bytes += delimitedSize(size);
  }
  for (const op of recorded?.executed ?? []) {
    const asSent = op.fromTxn;
    const valueNumber = (numbered && asSent && op.valueNumber) || 0;
    const keyBytes = valueNumber > 0 ? 0 : Buffer.byteLength(op.key);
    const prevBytes = op.prevValue ? op.prevValue.value.length : 0;
    const newBytes = op.newValue && !asSent ? op.newValue.value.length : 0;
    const halves = prevBytes > 0 && newBytes > 0 && prevBytes + newBytes > maxBytes ? SPLIT : WHOLE_ONLY;
    for (const half of halves) {
      const size = encoder.opSize(op, keyBytes, valueNumber, half, asSent);
      if (encoder.overflows(batch, size)) {
        yield encoder.part(batch);
        batch = new Batch();
      }
      batch.ops.push(op);
      batch.keyBytes.push(keyBytes);
      batch.valueNumbers.push(valueNumber);
      batch.halves.push(half);
      batch.asSent.push(asSent);
      batch.opSizes.push(size);
      batch.bytes += delimitedSize(size);
    }
  }
  yield encoder.result(batch, result, recorded);
}
