import type { KeyOperation } from '../../api/errors';
import type { ValueState } from '../../api/southbound';

/** A packed value: google.protobuf.Any in the shape protobufjs gives it. */
export interface PackedValue {
  type_url: string;
  value: Uint8Array;
}

/** The status of one value, as GetValueStatus and WatchValueStatus report it. */
export interface ValueStatus {
  key: string;
  state: ValueState;
  error?: string;
  lastOperation?: KeyOperation;
  /** The transaction that set this status; 0n for an unknown key. */
  seqNum: bigint;
}

/** One value as DumpState reports it. */
export interface KeyState {
  key: string;
  /** What the northbound asked for. */
  desired?: PackedValue;
  /** What the southbound believes the dataplane holds. */
  applied?: PackedValue;
  state: ValueState;
  error?: string;
  lastOperation?: KeyOperation;
  dependencies: string[];
}
