import * as protobuf from 'protobufjs';
import type { KeyOperation } from '../../api/errors';
import type { ValueState } from '../../api/southbound';
import { PROTO_PACKAGE, southboundProtoPath } from './protocol';
import type { WireAny } from './wire';

/**
 * The Session stream's messages, encoded and decoded with protobufjs directly: it is the hot path
 * of every commit, and proto-loader's conversion of each message to and from plain objects (enum
 * names, 64-bit strings, defaults) costs more than the encoding itself. Here enums are numbers and
 * 64-bit integers are numbers or protobufjs Longs; the functions below convert at the edge.
 */

/** A 64-bit integer as protobufjs decodes it. */
export interface WireLong {
  low: number;
  high: number;
  unsigned: boolean;
}

export type WireUint64 = number | string | WireLong;

export interface SessionKeyValue {
  key: string;
  value?: WireAny | null;
  valueError?: string;
}

export interface SessionTxnOptions {
  resyncType: number;
  verbose: boolean;
  retry?: { periodMs: number; maxAttempts: number; expBackoff: boolean } | null;
  revertOnFailure: boolean;
  description: string;
}

export interface SessionTxnBegin {
  options?: SessionTxnOptions | null;
  valueCount: WireUint64;
  record: boolean;
}

export interface SessionRequestMessage {
  txnId: WireUint64;
  begin?: SessionTxnBegin | null;
  values: SessionKeyValue[];
  end: boolean;
}

export interface SessionOperation {
  key: string;
  operation: number;
  prevValue?: WireAny | null;
  newValue?: WireAny | null;
  prevState: number;
  newState: number;
  error: string;
  isRevert: boolean;
  isRetry: boolean;
  continues: boolean;
  newValueAsSent: boolean;
}

export interface SessionKeyError {
  key: string;
  operation: number;
  error: string;
}

export interface SessionTxnResult {
  txnId: WireUint64;
  /** Absent (not an own property once decoded) when the transaction never started. */
  seqNum?: WireUint64 | null;
  initError: string;
  keyErrors: SessionKeyError[];
  executed: SessionOperation[];
  startUnixMs: WireUint64;
  stopUnixMs: WireUint64;
}

export interface SessionResultPart {
  txnId: WireUint64;
  keyErrors: SessionKeyError[];
  executed: SessionOperation[];
}

export interface SessionResponseMessage {
  hello?: { instanceId: string } | null;
  part?: SessionResultPart | null;
  result?: SessionTxnResult | null;
}

/** A decoded client message with its size on the wire, for the scheduler's byte bound. */
export interface ReceivedPart {
  message: SessionRequestMessage;
  bytes: number;
}

interface SessionTypes {
  request: protobuf.Type;
  begin: protobuf.Type;
  response: protobuf.Type;
  operation: protobuf.Enum;
  state: protobuf.Enum;
  resync: protobuf.Enum;
}

let types: SessionTypes | undefined;

function sessionTypes(): SessionTypes {
  if (types) return types;
  const root = new protobuf.Root().loadSync(southboundProtoPath(), { keepCase: false });
  root.resolveAll();
  types = {
    request: root.lookupType(`${PROTO_PACKAGE}.SessionRequest`),
    begin: root.lookupType(`${PROTO_PACKAGE}.TxnBegin`),
    response: root.lookupType(`${PROTO_PACKAGE}.SessionResponse`),
    operation: root.lookupEnum(`${PROTO_PACKAGE}.Operation`),
    state: root.lookupEnum(`${PROTO_PACKAGE}.ValueState`),
    resync: root.lookupEnum(`${PROTO_PACKAGE}.ResyncType`),
  };
  return types;
}

/** The client's requests are encoded by hand (txnPartEncoder.ts), except their TxnBegin. */
export function encodeTxnBegin(begin: SessionTxnBegin): Buffer {
  return sessionTypes().begin.encode(begin).finish() as Buffer;
}

export function decodeSessionRequest(bytes: Buffer): ReceivedPart {
  return { message: sessionTypes().request.decode(bytes) as unknown as SessionRequestMessage, bytes: bytes.length };
}

export function encodeSessionResponse(message: SessionResponseMessage): Buffer {
  return sessionTypes().response.encode(message).finish() as Buffer;
}

export function decodeSessionResponse(bytes: Buffer): SessionResponseMessage {
  return sessionTypes().response.decode(bytes) as unknown as SessionResponseMessage;
}

/** Whether a decoded proto3 `optional` field was present. */
export function hasField<T extends object>(message: T, field: keyof T): boolean {
  return Object.prototype.hasOwnProperty.call(message, field);
}

function isLong(value: WireUint64): value is WireLong {
  return typeof value === 'object';
}

/** A 64-bit unsigned integer, exact. */
export function uint64Of(value: WireUint64 | null | undefined): bigint {
  if (value === null || value === undefined || value === '') return 0n;
  if (!isLong(value)) return BigInt(value);
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

/** A 64-bit integer known to stay within 2^53 (ids, counts, timestamps). */
export function numberOf(value: WireUint64 | null | undefined): number {
  if (value === null || value === undefined || value === '') return 0;
  if (!isLong(value)) return Number(value);
  return (value.high >>> 0) * 4294967296 + (value.low >>> 0);
}

/** Enum numbers by name and names by number, from the .proto file. */
class EnumTable<Name extends string> {
  private readonly names: Name[] = [];
  constructor(private readonly numbers: Readonly<Record<string, number>>) {
    for (const [name, number] of Object.entries(numbers)) this.names[number] = name as Name;
  }
  number(name: Name): number {
    return this.numbers[name] ?? 0;
  }
  name(number: number): Name | undefined {
    return this.names[number];
  }
}

let tables: { operation: EnumTable<KeyOperation | 'UNDEFINED_OPERATION'>; state: EnumTable<ValueState>; resync: EnumTable<string> } | undefined;

function enumTables(): NonNullable<typeof tables> {
  const { operation, state, resync } = sessionTypes();
  tables ??= { operation: new EnumTable(operation.values), state: new EnumTable(state.values), resync: new EnumTable(resync.values) };
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
