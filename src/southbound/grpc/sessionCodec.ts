import * as protobuf from 'protobufjs';
import type { KeyOperation } from '../../api/errors';
import type { ValueState } from '../../api/southbound';
import type { PackedValue } from './model';
import { PROTO_PACKAGE, southboundProtoPath } from './protocol';
import { WireDecodeError, WireReader } from './wireReader';

/**
 * The Session stream's messages as the client and the reference southbound handle them, and the
 * client's decoder of the southbound's answers. The Session stream is the hot path of every
 * commit: its messages are encoded and decoded by hand (txnPartEncoder.ts, the agent's
 * sessionResultEncoder.ts and sessionRequestDecoder.ts), with enums as numbers and 64-bit integers
 * as numbers (ids, counts, times) or bigint (sequence numbers). Field numbers follow southbound.proto.
 */

export interface SessionKeyError {
  key: string;
  operation: number;
  error: string;
}

export interface SessionOperation {
  key: string;
  operation: number;
  prevValue?: PackedValue;
  newValue?: PackedValue;
  prevState: number;
  newState: number;
  error: string;
  isRevert: boolean;
  isRetry: boolean;
  continues: boolean;
  newValueAsSent: boolean;
  /** 1-based number of the transaction's value whose key this is, instead of `key` (0: `key` is set). */
  valueNumber: number;
}

export interface SessionResultPart {
  txnId: number;
  keyErrors: SessionKeyError[];
  /**
   * The message as received: its executed operations are decoded only when someone reads the
   * recorded transaction (decodeExecuted), and the bytes are all the event history keeps.
   */
  raw: Buffer;
}

export interface SessionTxnResult extends SessionResultPart {
  /** Absent when the transaction never started (init error). */
  seqNum?: bigint;
  initError: string;
  startUnixMs: number;
  stopUnixMs: number;
}

export interface SessionResponseMessage {
  hello?: { instanceId: string };
  part?: SessionResultPart;
  result?: SessionTxnResult;
}


function decodeKeyError(reader: WireReader, end: number): SessionKeyError {
  const keyError: SessionKeyError = { key: '', operation: 0, error: '' };
  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag === 10) keyError.key = reader.string();
    else if (tag === 16) keyError.operation = reader.varint();
    else if (tag === 26) keyError.error = reader.string();
    else reader.skip(tag & 7);
  }
  return keyError;
}

function decodeOperation(reader: WireReader, end: number): SessionOperation {
  const op: SessionOperation = {
    key: '',
    operation: 0,
    prevValue: undefined,
    newValue: undefined,
    prevState: 0,
    newState: 0,
    error: '',
    isRevert: false,
    isRetry: false,
    continues: false,
    newValueAsSent: false,
    valueNumber: 0,
  };
  while (reader.pos < end) {
    const tag = reader.varint();
    switch (tag) {
      case 10:
        op.key = reader.string();
        break;
      case 16:
        op.operation = reader.varint();
        break;
      case 26:
        op.prevValue = reader.any(reader.end());
        break;
      case 34:
        op.newValue = reader.any(reader.end());
        break;
      case 40:
        op.prevState = reader.varint();
        break;
      case 48:
        op.newState = reader.varint();
        break;
      case 58:
        op.error = reader.string();
        break;
      case 64:
        op.isRevert = reader.varint() !== 0;
        break;
      case 72:
        op.isRetry = reader.varint() !== 0;
        break;
      case 80:
        op.continues = reader.varint() !== 0;
        break;
      case 88:
        op.newValueAsSent = reader.varint() !== 0;
        break;
      case 96:
        op.valueNumber = reader.varint();
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return op;
}

/** TxnResultPart (key errors in field 2, operations in 3) or TxnResult (4 and 5, and the rest); operations only when asked. */
function decodeResult(reader: WireReader, end: number, isResult: boolean, raw: Buffer, executed?: SessionOperation[]): SessionTxnResult {
  const result: SessionTxnResult = { txnId: 0, seqNum: undefined, initError: '', keyErrors: [], raw, startUnixMs: 0, stopUnixMs: 0 };
  const keyErrorTag = isResult ? 34 : 18;
  const operationTag = isResult ? 42 : 26;
  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag === 8) result.txnId = reader.varint();
    else if (tag === keyErrorTag) result.keyErrors.push(decodeKeyError(reader, reader.end()));
    else if (tag === operationTag && executed) executed.push(decodeOperation(reader, reader.end()));
    else if (isResult && tag === 16) result.seqNum = reader.bigVarint();
    else if (isResult && tag === 26) result.initError = reader.string();
    else if (isResult && tag === 48) result.startUnixMs = reader.varint();
    else if (isResult && tag === 56) result.stopUnixMs = reader.varint();
    else reader.skip(tag & 7);
  }
  return result;
}

/** Decodes a SessionResponse (the client's deserializer). */
export function decodeSessionResponse(bytes: Buffer): SessionResponseMessage {
  const reader = new WireReader(bytes);
  const message: SessionResponseMessage = {};
  while (reader.pos < bytes.length) {
    const tag = reader.varint();
    if (tag === 10) {
      const end = reader.end();
      let instanceId = '';
      while (reader.pos < end) {
        const inner = reader.varint();
        if (inner === 10) instanceId = reader.string();
        else reader.skip(inner & 7);
      }
      message.hello = { instanceId };
    } else if (tag === 18) {
      const { txnId, keyErrors } = decodeResult(reader, reader.end(), false, bytes);
      message.part = { txnId, keyErrors, raw: bytes };
    } else if (tag === 26) {
      message.result = decodeResult(reader, reader.end(), true, bytes);
    } else {
      reader.skip(tag & 7);
    }
  }
  if (!message.hello && !message.part && !message.result) throw new WireDecodeError('a SessionResponse with no content');
  return message;
}

/** The executed operations of a TxnResultPart or TxnResult message, as received (`raw`). */
export function decodeExecuted(raw: Buffer, into: SessionOperation[] = []): SessionOperation[] {
  const reader = new WireReader(raw);
  while (reader.pos < raw.length) {
    const tag = reader.varint();
    if (tag === 18 || tag === 26) decodeResult(reader, reader.end(), tag === 26, raw, into);
    else reader.skip(tag & 7);
  }
  return into;
}

/** Enum numbers by name and names by number, from the .proto file. */
class EnumTable<Name extends string> {
  private readonly names: Name[] = [];
  private readonly numbers = new Map<string, number>();
  constructor(values: Readonly<Record<string, number>>) {
    for (const [name, number] of Object.entries(values)) {
      this.names[number] = name as Name;
      this.numbers.set(name, number);
    }
  }
  number(name: Name): number {
    return this.numbers.get(name) ?? 0;
  }
  name(number: number): Name | undefined {
    return this.names[number];
  }
}

let tables: { operation: EnumTable<KeyOperation | 'UNDEFINED_OPERATION'>; state: EnumTable<ValueState>; resync: EnumTable<string> } | undefined;

function enumTables(): NonNullable<typeof tables> {
  if (tables) return tables;
  const root = new protobuf.Root().loadSync(southboundProtoPath(), { keepCase: false });
  const values = (name: string): Record<string, number> => root.lookupEnum(`${PROTO_PACKAGE}.${name}`).values;
  tables = { operation: new EnumTable(values('Operation')), state: new EnumTable(values('ValueState')), resync: new EnumTable(values('ResyncType')) };
  return tables;
}

export function operationNumber(operation: KeyOperation | undefined): number {
  return operation ? enumTables().operation.number(operation) : 0;
}

export function operationOfNumber(number: number): KeyOperation | undefined {
  const name = enumTables().operation.name(number);
  return name === undefined || name === 'UNDEFINED_OPERATION' ? undefined : name;
}

export function stateNumber(state: ValueState): number {
  return enumTables().state.number(state);
}

export function stateOfNumber(number: number): ValueState {
  return enumTables().state.name(number) ?? 'NONEXISTENT';
}

/** Resync types by their wire names (NOT_RESYNC, FULL, UPSTREAM, DOWNSTREAM). */
export function resyncNumber(name: string): number {
  return enumTables().resync.number(name);
}

export function resyncNameOfNumber(number: number): string {
  return enumTables().resync.name(number) ?? 'NOT_RESYNC';
}
