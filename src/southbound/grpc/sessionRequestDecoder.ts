import type { RetryOptions } from '../../api/southbound';
import type { PackedValue } from './model';
import { WireReader } from './wireReader';

/*
 * The client's SessionRequest messages, decoded by hand: by the reference southbound into the
 * scheduler's own shapes (no message object, Long or copy per value), and by the client when the
 * recorded transaction it kept as bytes is first read. Field numbers follow southbound.proto:
 *   SessionRequest { 1: txn_id, 2: begin TxnBegin, 3: values KeyValue, 4: end }
 *   TxnBegin { 1: options TxnOptions, 2: value_count, 3: record, 4: reads_value_numbers }
 *   TxnOptions { 1: resync_type, 2: verbose, 3: retry RetryOptions, 4: revert_on_failure, 5: description }
 *   RetryOptions { 1: period_ms, 2: max_attempts, 3: exp_backoff }
 *   KeyValue { 1: key, 2: value Any, 3: value_error }   Any { 1: type_url, 2: value }
 */

export interface SessionTxnOptions {
  resyncType: number;
  verbose: boolean;
  retry?: RetryOptions;
  revertOnFailure: boolean;
  description: string;
}

export interface SessionTxnBegin {
  options?: SessionTxnOptions;
  valueCount: number;
  record: boolean;
  /** The client resolves `value_number` in the executed operations of the answer. */
  readsValueNumbers: boolean;
}

/** A value of a transaction: `null` = delete; `valueError` = a value the client could not send. */
export interface SessionKeyValue {
  key: string;
  value: PackedValue | null;
  valueError?: string;
}

export interface SessionRequestMessage {
  txnId: number;
  begin?: SessionTxnBegin;
  values: SessionKeyValue[];
  end: boolean;
}

/** A decoded client message with its size on the wire, for the byte bound of transactions. */
export interface ReceivedPart {
  message: SessionRequestMessage;
  bytes: number;
}

function decodeRetry(reader: WireReader, end: number): RetryOptions {
  const retry: RetryOptions = { periodMs: 0, maxAttempts: 0, expBackoff: false };
  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag === 8) retry.periodMs = reader.varint();
    else if (tag === 16) retry.maxAttempts = reader.varint();
    else if (tag === 24) retry.expBackoff = reader.varint() !== 0;
    else reader.skip(tag & 7);
  }
  return retry;
}

function decodeOptions(reader: WireReader, end: number): SessionTxnOptions {
  const options: SessionTxnOptions = { resyncType: 0, verbose: false, retry: undefined, revertOnFailure: false, description: '' };
  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag === 8) options.resyncType = reader.varint();
    else if (tag === 16) options.verbose = reader.varint() !== 0;
    else if (tag === 26) options.retry = decodeRetry(reader, reader.end());
    else if (tag === 32) options.revertOnFailure = reader.varint() !== 0;
    else if (tag === 42) options.description = reader.string();
    else reader.skip(tag & 7);
  }
  return options;
}

function decodeBegin(reader: WireReader, end: number): SessionTxnBegin {
  const begin: SessionTxnBegin = { options: undefined, valueCount: 0, record: false, readsValueNumbers: false };
  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag === 10) begin.options = decodeOptions(reader, reader.end());
    else if (tag === 16) begin.valueCount = reader.varint();
    else if (tag === 24) begin.record = reader.varint() !== 0;
    else if (tag === 32) begin.readsValueNumbers = reader.varint() !== 0;
    else reader.skip(tag & 7);
  }
  return begin;
}


function decodeKeyValue(reader: WireReader, end: number): SessionKeyValue {
  const kv: SessionKeyValue = { key: '', value: null, valueError: undefined };
  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag === 10) kv.key = reader.string();
    else if (tag === 18) kv.value = reader.any(reader.end());
    else if (tag === 26) kv.valueError = reader.string() || undefined;
    else reader.skip(tag & 7);
  }
  return kv;
}

/** Decodes a SessionRequest (the server's deserializer); throws WireDecodeError on malformed bytes. */
export function decodeSessionRequest(bytes: Buffer): ReceivedPart {
  const reader = new WireReader(bytes);
  const message: SessionRequestMessage = { txnId: 0, begin: undefined, values: [], end: false };
  while (reader.pos < bytes.length) {
    const tag = reader.varint();
    if (tag === 8) message.txnId = reader.varint();
    else if (tag === 18) message.begin = decodeBegin(reader, reader.end());
    else if (tag === 26) message.values.push(decodeKeyValue(reader, reader.end()));
    else if (tag === 32) message.end = reader.varint() !== 0;
    else reader.skip(tag & 7);
  }
  return { message, bytes: bytes.length };
}
