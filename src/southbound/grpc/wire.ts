/**
 * The protocol's messages as @grpc/proto-loader hands them over (camelCase fields, enums as
 * names, 64-bit integers as decimal strings, defaults filled in). Hand-written to match
 * src/southbound/proto/southbound.proto; keep both in step.
 */

import type { ValueState } from '../../api/southbound';

export type WireResyncType = 'NOT_RESYNC' | 'FULL' | 'UPSTREAM' | 'DOWNSTREAM';
export type WireOperation = 'UNDEFINED_OPERATION' | 'CREATE' | 'UPDATE' | 'DELETE';
export type WireTxnType = 'NB_TRANSACTION' | 'RETRY_FAILED_OPS';
/** The proto enum's names are the API's value states. */
export type WireValueState = ValueState;

/** google.protobuf.Any: well-known types keep their snake_case field names in protobufjs. */
export interface WireAny {
  type_url: string;
  value: Uint8Array;
}

export interface WireKeyValue {
  key: string;
  /** null (or absent on the way out) = delete. */
  value?: WireAny | null;
  /** Set when the client could not send the value (see the .proto). */
  valueError?: string;
}

export interface WireRecordedOperation {
  key: string;
  operation: WireOperation;
  prevValue?: WireAny | null;
  newValue?: WireAny | null;
  prevState: WireValueState;
  newState: WireValueState;
  error: string;
  isRevert: boolean;
  isRetry: boolean;
  /** Carries only the new value of the operation before it (a split pair). */
  continues?: boolean;
}

export interface WireRecordedTxnHeader {
  seqNum: string;
  txnType: WireTxnType;
  resyncType: WireResyncType;
  description: string;
  startUnixMs: string;
  stopUnixMs: string;
}

export interface WireRecordedTxnPart {
  instanceId: string;
  header?: WireRecordedTxnHeader | null;
  values: WireKeyValue[];
  executed: WireRecordedOperation[];
}

export interface WireKeyState {
  key: string;
  desiredValue?: WireAny | null;
  appliedValue?: WireAny | null;
  state: WireValueState;
  error: string;
  lastOperation: WireOperation;
  dependencies: string[];
  /** Carries only the applied value of the key state before it (a split pair). */
  continues?: boolean;
}

export interface WireDumpStateResponse {
  instanceId: string;
  states: WireKeyState[];
}

export interface WireValueStatus {
  key: string;
  state: WireValueState;
  error: string;
  lastOperation: WireOperation;
  seqNum: string;
}

export interface WireGetValueStatusResponse {
  instanceId: string;
  status?: WireValueStatus | null;
}

export interface WireWatchValueStatusResponse {
  instanceId: string;
  ready: boolean;
  statuses: WireValueStatus[];
}

export interface WireFaultRule {
  keyPattern: string;
  operations: WireOperation[];
  times: number;
  error: string;
}

export interface WireDriftRequest {
  removeKeys: string[];
  putValues: WireKeyValue[];
}
