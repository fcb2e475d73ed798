import type { KeyOperation } from '../../api/errors';
import type { ResyncType, ValueState } from '../../api/southbound';
import type { KeptBytes } from '../grpc/keptBytes';
import { StringBytes, writeRaw, writeString } from '../grpc/wireBytes';
import type { SchedulerRecordedOperation, SchedulerRecordedTxn, SchedulerTxnValue, StoredValue } from './types';

/*
 * A recorded transaction packed into one buffer. The history keeps thousands of them for
 * seconds to minutes; as objects, each would be an object per value and per operation (and the
 * values they point to) that the garbage collector copies from the young generation into the
 * old one: the reference southbound's collection pauses grew to 20 ms under a steady load,
 * and every commit waited on them. Packed, a transaction is one buffer, read back when asked for.
 *
 * Layout (little-endian): seqNum u64, start f64, stop f64, txnType u8, resyncType u8,
 * description str, value count u32, values, operation count u32, operations.
 *   value:     key str, flags u8 (1 value, 2 valueError), [value any], [valueError str]
 *   operation: key str, operation u8, prevState u8, newState u8, flags u8 (1 prevValue,
 *              2 newValue, 4 error, 8 isRevert, 16 isRetry, 32 fromTxn), [prevValue any],
 *              [newValue any], [error str]
 *   str: u32 byte length, UTF-8;  any: type_url str, u32 byte length, bytes
 */

const OPERATIONS: readonly KeyOperation[] = ['CREATE', 'UPDATE', 'DELETE'];
const STATES: readonly ValueState[] = ['NONEXISTENT', 'MISSING', 'UNIMPLEMENTED', 'REMOVED', 'CONFIGURED', 'OBTAINED', 'DISCOVERED', 'PENDING', 'INVALID', 'FAILED', 'RETRYING'];
const RESYNCS: readonly (ResyncType | undefined)[] = [undefined, 'full', 'upstream', 'downstream'];
const TXN_TYPES: readonly SchedulerRecordedTxn['txnType'][] = ['nb', 'retry'];

const VALUE = 1;
const VALUE_ERROR = 2;
const PREV = 1;
const NEW = 2;
const ERROR = 4;
const REVERT = 8;
const RETRY = 16;
const FROM_TXN = 32;

function codeOf<T>(table: readonly T[], value: T): number {
  const code = table.indexOf(value);
  if (code < 0) throw new RangeError(`cannot pack ${String(value)}: not one of ${table.join(', ')}`);
  return code;
}

/** UTF-8 length; ASCII (the usual key) without a native call. */
function utf8Length(text: string): number {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) return Buffer.byteLength(text);
  return text.length;
}

/** Type URLs repeat in every operation: their bytes are encoded once. */
const typeUrlBytes = new StringBytes();
/** The last one asked for: a transaction's values mostly share a few types, decoded as the same string. */
let lastTypeUrl = '';
let lastTypeUrlBytes: Buffer = Buffer.alloc(0);

function typeUrlOf(value: StoredValue): Buffer {
  const typeUrl = value.type_url;
  if (typeUrl !== lastTypeUrl) {
    lastTypeUrlBytes = typeUrlBytes.of(typeUrl);
    lastTypeUrl = typeUrl;
  }
  return lastTypeUrlBytes;
}

function anySize(value: StoredValue): number {
  return 4 + typeUrlOf(value).length + 4 + value.value.length;
}

class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  u8(value: number): void {
    this.buf[this.pos++] = value;
  }
  u32(value: number): void {
    // By hand: Buffer#writeUInt32LE checks its arguments on every call (a million calls for a big resync).
    const { buf, pos } = this;
    buf[pos] = value;
    buf[pos + 1] = value >>> 8;
    buf[pos + 2] = value >>> 16;
    buf[pos + 3] = value >>> 24;
    this.pos = pos + 4;
  }
  f64(value: number): void {
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }
  u64(value: bigint): void {
    this.buf.writeBigUInt64LE(value, this.pos);
    this.pos += 8;
  }
  str(text: string): void {
    const length = utf8Length(text);
    this.u32(length);
    this.pos = writeString(this.buf, this.pos, text, length);
  }
  any(value: StoredValue): void {
    const typeUrl = typeUrlOf(value);
    this.u32(typeUrl.length);
    this.pos = writeRaw(this.buf, this.pos, typeUrl);
    this.u32(value.value.length);
    this.pos = writeRaw(this.buf, this.pos, value.value);
  }
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  u8(): number {
    return this.buf[this.pos++];
  }
  u32(): number {
    const value = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return value;
  }
  f64(): number {
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }
  u64(): bigint {
    const value = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return value;
  }
  str(): string {
    const length = this.u32();
    const text = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return text;
  }
  any(): StoredValue {
    const type_url = this.str();
    const length = this.u32();
    // A copy: the value must not keep the whole packed transaction alive.
    const value = Buffer.from(this.buf.subarray(this.pos, this.pos + length));
    this.pos += length;
    return { type_url, value };
  }
}

/** The bytes of `txn`, in `kept`'s room. */
export function packRecordedTxn(txn: SchedulerRecordedTxn, kept: KeptBytes): Buffer {
  let size = 8 * 3 + 2 + 4 + utf8Length(txn.description) + 4 + 4;
  for (const v of txn.values) {
    size += 4 + utf8Length(v.key) + 1;
    if (v.value) size += anySize(v.value);
    if (v.valueError !== undefined) size += 4 + utf8Length(v.valueError);
  }
  for (const op of txn.executed) {
    size += 4 + utf8Length(op.key) + 4;
    if (op.prevValue) size += anySize(op.prevValue);
    if (op.newValue) size += anySize(op.newValue);
    if (op.error !== undefined) size += 4 + utf8Length(op.error);
  }
  const w = new Writer(kept.alloc(size));
  w.u64(txn.seqNum);
  w.f64(txn.start);
  w.f64(txn.stop);
  w.u8(codeOf(TXN_TYPES, txn.txnType));
  w.u8(codeOf(RESYNCS, txn.resyncType));
  w.str(txn.description);
  w.u32(txn.values.length);
  for (const v of txn.values) {
    w.str(v.key);
    w.u8((v.value ? VALUE : 0) | (v.valueError !== undefined ? VALUE_ERROR : 0));
    if (v.value) w.any(v.value);
    if (v.valueError !== undefined) w.str(v.valueError);
  }
  w.u32(txn.executed.length);
  for (const op of txn.executed) {
    w.str(op.key);
    w.u8(codeOf(OPERATIONS, op.operation));
    w.u8(codeOf(STATES, op.prevState));
    w.u8(codeOf(STATES, op.newState));
    w.u8(
      (op.prevValue ? PREV : 0) |
        (op.newValue ? NEW : 0) |
        (op.error !== undefined ? ERROR : 0) |
        (op.isRevert ? REVERT : 0) |
        (op.isRetry ? RETRY : 0) |
        (op.fromTxn ? FROM_TXN : 0),
    );
    if (op.prevValue) w.any(op.prevValue);
    if (op.newValue) w.any(op.newValue);
    if (op.error !== undefined) w.str(op.error);
  }
  return w.buf;
}

/** The sequence number of a packed transaction, without unpacking it. */
export function packedSeqNum(packed: Buffer): bigint {
  return packed.readBigUInt64LE(0);
}

/** The transaction `packRecordedTxn` packed (values as copies). */
export function unpackRecordedTxn(packed: Buffer): SchedulerRecordedTxn {
  const r = new Reader(packed);
  const seqNum = r.u64();
  const start = r.f64();
  const stop = r.f64();
  const txnType = TXN_TYPES[r.u8()];
  const resyncType = RESYNCS[r.u8()];
  const description = r.str();
  const values: SchedulerTxnValue[] = new Array<SchedulerTxnValue>(r.u32());
  for (let i = 0; i < values.length; i++) {
    const key = r.str();
    const flags = r.u8();
    const value: SchedulerTxnValue = { key, value: flags & VALUE ? r.any() : null };
    if (flags & VALUE_ERROR) value.valueError = r.str();
    values[i] = value;
  }
  const executed: SchedulerRecordedOperation[] = new Array<SchedulerRecordedOperation>(r.u32());
  for (let i = 0; i < executed.length; i++) {
    const key = r.str();
    const operation = OPERATIONS[r.u8()];
    const prevState = STATES[r.u8()];
    const newState = STATES[r.u8()];
    const flags = r.u8();
    const prevValue = flags & PREV ? r.any() : undefined;
    const newValue = flags & NEW ? r.any() : undefined;
    const error = flags & ERROR ? r.str() : undefined;
    executed[i] = { key, operation, prevValue, newValue, prevState, newState, error, isRevert: !!(flags & REVERT), isRetry: !!(flags & RETRY), fromTxn: !!(flags & FROM_TXN) };
  }
  return { seqNum, txnType, resyncType, description, start, stop, values, executed };
}
