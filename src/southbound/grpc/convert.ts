import type { KeyOperation } from '../../api/errors';
import type { ResyncType, ValueState } from '../../api/southbound';
import { anySize } from './batching';
import type { KeyState, PackedValue, ValueStatus } from './model';
import type {
  WireAny,
  WireKeyState,
  WireOperation,
  WireResyncType,
  WireTxnType,
  WireValueState,
  WireValueStatus,
} from './wire';

/** Conversions between the protocol's wire enums/messages and the TypeScript model. */

export function resyncToWire(resync: ResyncType | undefined): WireResyncType {
  switch (resync) {
    case 'full':
      return 'FULL';
    case 'upstream':
      return 'UPSTREAM';
    case 'downstream':
      return 'DOWNSTREAM';
    default:
      return 'NOT_RESYNC';
  }
}

export function resyncFromWire(resync: WireResyncType): ResyncType | undefined {
  switch (resync) {
    case 'FULL':
      return 'full';
    case 'UPSTREAM':
      return 'upstream';
    case 'DOWNSTREAM':
      return 'downstream';
    default:
      return undefined;
  }
}

export function operationToWire(operation: KeyOperation | undefined): WireOperation {
  return operation ?? 'UNDEFINED_OPERATION';
}

export function operationFromWire(operation: WireOperation): KeyOperation | undefined {
  return operation === 'UNDEFINED_OPERATION' ? undefined : operation;
}

export function txnTypeToWire(txnType: 'nb' | 'retry'): WireTxnType {
  return txnType === 'retry' ? 'RETRY_FAILED_OPS' : 'NB_TRANSACTION';
}

export function txnTypeFromWire(txnType: WireTxnType): 'nb' | 'retry' {
  return txnType === 'RETRY_FAILED_OPS' ? 'retry' : 'nb';
}

/** Wire and model share the names of value states. */
export function stateFromWire(state: WireValueState): ValueState {
  return state;
}

/** proto-loader decodes absent messages as null, protobufjs encodes undefined/null as absent. */
export function anyFromWire(value: WireAny | null | undefined): PackedValue | undefined {
  return value ?? undefined;
}

/** uint64 fields arrive as decimal strings (longs: String): exact as bigint. */
export function uint64FromWire(value: string | number | undefined): bigint {
  return value === undefined || value === '' ? 0n : BigInt(value);
}

export function valueStatusToWire(status: ValueStatus): WireValueStatus {
  return {
    key: status.key,
    state: status.state,
    error: status.error ?? '',
    lastOperation: operationToWire(status.lastOperation),
    seqNum: status.seqNum.toString(),
  };
}

export function valueStatusFromWire(status: WireValueStatus): ValueStatus {
  return {
    key: status.key,
    state: stateFromWire(status.state),
    error: status.error || undefined,
    lastOperation: operationFromWire(status.lastOperation),
    seqNum: uint64FromWire(status.seqNum),
  };
}

export function keyStateToWire(state: KeyState): WireKeyState {
  return {
    key: state.key,
    desiredValue: state.desired ?? null,
    appliedValue: state.applied ?? null,
    state: state.state,
    error: state.error ?? '',
    lastOperation: operationToWire(state.lastOperation),
    dependencies: state.dependencies,
  };
}

export function keyStateFromWire(state: WireKeyState): KeyState {
  return {
    key: state.key,
    desired: anyFromWire(state.desiredValue),
    applied: anyFromWire(state.appliedValue),
    state: stateFromWire(state.state),
    error: state.error || undefined,
    lastOperation: operationFromWire(state.lastOperation),
    dependencies: state.dependencies,
  };
}

/** Estimated encoded size of a key state, for batching. */
export function wireKeyStateSize(state: WireKeyState): number {
  return (
    state.key.length +
    anySize(state.desiredValue) +
    anySize(state.appliedValue) +
    state.error.length +
    state.dependencies.reduce((n, d) => n + d.length + 2, 0)
  );
}

/**
 * Key states as DumpState streams them, the second half of a split pair (`continues`) merged
 * back into the state before it.
 */
export function keyStatesFromWire(states: Iterable<WireKeyState>): KeyState[] {
  const out: KeyState[] = [];
  for (const state of states) {
    const previous = out[out.length - 1];
    if (state.continues && previous?.key === state.key) previous.applied = anyFromWire(state.appliedValue);
    else out.push(keyStateFromWire(state));
  }
  return out;
}
