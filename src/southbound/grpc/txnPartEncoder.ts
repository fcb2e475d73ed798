import type { CommitRequest } from '../../api/southbound';
import { DEFAULT_MAX_BATCH_BYTES } from './batching';
import { resyncToWire } from './convert';
import type { EncodedValue, TxnValueEncoder } from './txnValueEncoder';
import { resyncNumber } from './sessionCodec';
import { StringBytes, WIRE_LEN, WIRE_VARINT, delimitedSize, tag, varintSize, writeRaw, writeString, writeVarint } from './wireBytes';

/*
 * The client's SessionRequest messages, encoded by hand straight from the packed values: through
 * protobufjs each value would allocate a dozen writer operations (a million objects for a
 * 100,000-value resync). Field numbers and wire types follow southbound.proto:
 *   SessionRequest { 1: txn_id varint, 2: begin TxnBegin, 3: values repeated KeyValue, 4: end bool }
 *   TxnBegin { 1: options TxnOptions, 2: value_count, 3: record, 4: reads_value_numbers }
 *   TxnOptions { 1: resync_type, 2: verbose, 3: retry RetryOptions, 4: revert_on_failure, 5: description }
 *   RetryOptions { 1: period_ms, 2: max_attempts, 3: exp_backoff }
 *   KeyValue { 1: key string, 2: value Any, 3: value_error string }   Any { 1: type_url string, 2: value bytes }
 */
const TAG_KEY = tag(1, WIRE_LEN);
const TAG_VALUE = tag(2, WIRE_LEN);
const TAG_VALUE_ERROR = tag(3, WIRE_LEN);
const TAG_TYPE_URL = tag(1, WIRE_LEN);
const TAG_ANY_VALUE = tag(2, WIRE_LEN);
const EMPTY = new Uint8Array(0);

/** Type URLs and errors repeat from one transaction to the next. */
const strings = new StringBytes();

/** A varint field with its one-byte tag; proto3 leaves zeros out. */
function varintFieldSize(value: number): number {
  return value === 0 ? 0 : 1 + varintSize(value);
}

function writeVarintField(buf: Buffer, pos: number, field: number, value: number): number {
  if (value === 0) return pos;
  buf[pos++] = tag(field, WIRE_VARINT);
  return writeVarint(buf, pos, value);
}

/** TxnBegin, encoded. */
function encodeBegin(request: CommitRequest, valueCount: number, record: boolean): Buffer {
  const retry = request.retry;
  const periodMs = retry ? Math.round(retry.periodMs) : 0;
  const retrySize = retry ? varintFieldSize(periodMs) + varintFieldSize(retry.maxAttempts) + varintFieldSize(retry.expBackoff ? 1 : 0) : 0;
  const resync = resyncNumber(resyncToWire(request.resync));
  // Not cached: every event has a description of its own.
  const description = Buffer.from(request.description);
  const optionsSize =
    varintFieldSize(resync) +
    varintFieldSize(request.startup ? 1 : 0) +
    (retry ? delimitedSize(retrySize) : 0) +
    varintFieldSize(request.revertOnFailure ? 1 : 0) +
    (description.length > 0 ? delimitedSize(description.length) : 0);
  // This client reads value numbers in the answer (recordedTxn.ts): always 1.
  const buf = Buffer.allocUnsafe(delimitedSize(optionsSize) + varintFieldSize(valueCount) + varintFieldSize(record ? 1 : 0) + varintFieldSize(1));
  let pos = 0;
  buf[pos++] = tag(1, WIRE_LEN);
  pos = writeVarint(buf, pos, optionsSize);
  pos = writeVarintField(buf, pos, 1, resync);
  pos = writeVarintField(buf, pos, 2, request.startup ? 1 : 0);
  if (retry) {
    buf[pos++] = tag(3, WIRE_LEN);
    pos = writeVarint(buf, pos, retrySize);
    pos = writeVarintField(buf, pos, 1, periodMs);
    pos = writeVarintField(buf, pos, 2, retry.maxAttempts);
    pos = writeVarintField(buf, pos, 3, retry.expBackoff ? 1 : 0);
  }
  pos = writeVarintField(buf, pos, 4, request.revertOnFailure ? 1 : 0);
  if (description.length > 0) {
    buf[pos++] = tag(5, WIRE_LEN);
    pos = writeVarint(buf, pos, description.length);
    pos = writeRaw(buf, pos, description);
  }
  pos = writeVarintField(buf, pos, 2, valueCount);
  pos = writeVarintField(buf, pos, 3, record ? 1 : 0);
  writeVarintField(buf, pos, 4, 1);
  return buf;
}

/** The values of the part being built, encoded; reused from one part to the next. */
class PartValues {
  count = 0;
  /** Their framed sizes added up. */
  framedBytes = 0;
  readonly keys: string[] = [];
  readonly keyBytes: number[] = [];
  /** The type URL's bytes; undefined for a delete. */
  readonly typeUrls: Array<Buffer | undefined> = [];
  readonly bytes: Array<Uint8Array | undefined> = [];
  readonly errors: Array<string | undefined> = [];
  /** Size of each KeyValue message, and of its Any (0 without one). */
  readonly sizes: number[] = [];
  readonly anySizes: number[] = [];

  add(value: EncodedValue, typeUrl: Buffer | undefined, size: number, anySize: number): void {
    const i = this.count++;
    this.keys[i] = value.key;
    this.keyBytes[i] = value.keyBytes;
    this.typeUrls[i] = typeUrl;
    this.bytes[i] = value.bytes;
    this.errors[i] = value.error;
    this.sizes[i] = size;
    this.anySizes[i] = anySize;
    this.framedBytes += delimitedSize(size);
  }

  /** Empty again; the encoded values go (the part holds them now). */
  clear(): void {
    this.bytes.fill(undefined, 0, this.count);
    this.count = 0;
    this.framedBytes = 0;
  }

  /** Empty, holding nothing of the transaction, for the next one. */
  release(): void {
    this.keys.fill('', 0, this.count);
    this.errors.fill(undefined, 0, this.count);
    this.clear();
  }
}

/**
 * The PartValues of the last transaction encoded, for the next: a coalesced commit of a burst
 * (1,536 values) otherwise grew eight fresh arrays to its size, about 0.8 KB of garbage per event.
 * A transaction encoded while another is (not done today) makes its own.
 */
let sparePart: PartValues | undefined;

/**
 * The parts of one transaction on the Session stream: `begin` on the first, `end` on the last,
 * the values cut into parts of about `maxBatchBytes` (a value bigger than that goes alone).
 */
export function* encodeTxnParts(
  txnId: number,
  request: CommitRequest,
  values: TxnValueEncoder,
  options: { record: boolean; maxBatchBytes?: number },
): Generator<Buffer> {
  const maxBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const count = values.size;
  const part = sparePart ?? new PartValues();
  sparePart = undefined;
  const value: EncodedValue = { key: '', keyBytes: 0, typeUrl: undefined, bytes: undefined, error: undefined };
  let begin: Buffer | undefined = encodeBegin(request, count, options.record);
  try {
    for (let i = 0; i < count; i++) {
      values.next(value);
      let size = delimitedSize(value.keyBytes);
      let anySize = 0;
      let typeUrl: Buffer | undefined;
      if (value.error !== undefined) size += delimitedSize(strings.of(value.error).length);
      else if (value.typeUrl !== undefined) {
        typeUrl = strings.of(value.typeUrl);
        anySize = delimitedSize(typeUrl.length) + delimitedSize(value.bytes?.length ?? 0);
        size += delimitedSize(anySize);
      }
      if (part.count > 0 && part.framedBytes + delimitedSize(size) > maxBytes) {
        yield encodePart(txnId, begin, part, false);
        begin = undefined;
        part.clear();
      }
      part.add(value, typeUrl, size, anySize);
    }
    yield encodePart(txnId, begin, part, true);
  } finally {
    // Also when the commit is abandoned between parts (the generator is returned).
    part.release();
    sparePart = part;
  }
}

function encodePart(txnId: number, begin: Buffer | undefined, part: PartValues, end: boolean): Buffer {
  const { count, keys, keyBytes, typeUrls, bytes, errors, sizes, anySizes } = part;
  const total = 1 + varintSize(txnId) + (begin ? delimitedSize(begin.length) : 0) + part.framedBytes + (end ? 2 : 0);
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  buf[pos++] = tag(1, WIRE_VARINT);
  pos = writeVarint(buf, pos, txnId);
  if (begin) {
    buf[pos++] = tag(2, WIRE_LEN);
    pos = writeVarint(buf, pos, begin.length);
    pos = writeRaw(buf, pos, begin);
  }
  for (let i = 0; i < count; i++) {
    buf[pos++] = tag(3, WIRE_LEN);
    pos = writeVarint(buf, pos, sizes[i]);
    buf[pos++] = TAG_KEY;
    pos = writeVarint(buf, pos, keyBytes[i]);
    pos = writeString(buf, pos, keys[i], keyBytes[i]);
    const error = errors[i];
    const typeUrl = typeUrls[i];
    if (error !== undefined) {
      const errorBytes = strings.of(error);
      buf[pos++] = TAG_VALUE_ERROR;
      pos = writeVarint(buf, pos, errorBytes.length);
      pos = writeRaw(buf, pos, errorBytes);
    } else if (typeUrl !== undefined) {
      buf[pos++] = TAG_VALUE;
      pos = writeVarint(buf, pos, anySizes[i]);
      buf[pos++] = TAG_TYPE_URL;
      pos = writeVarint(buf, pos, typeUrl.length);
      pos = writeRaw(buf, pos, typeUrl);
      buf[pos++] = TAG_ANY_VALUE;
      const value = bytes[i] ?? EMPTY;
      pos = writeVarint(buf, pos, value.length);
      pos = writeRaw(buf, pos, value);
    }
  }
  if (end) {
    buf[pos++] = tag(4, WIRE_VARINT);
    buf[pos++] = 1;
  }
  return buf;
}
