import type { KeyValuePairs, ProtoMessage } from '../api/types';
import { mergedCopy } from '../protobuf/merge';
import type { ConfigState } from './configState';

/** Which keys to merge external config into. */
export type MergeScope =
  | { kind: 'update'; externalChangeKeys?: Iterable<string> }
  | { kind: 'resync' }
  /** A downstream resync carries no values. */
  | { kind: 'none' };

/** `base` with every external value merged over it in precedence order; the first value as is when there is no base. */
function fold(base: ProtoMessage | undefined, externalValues: readonly ProtoMessage[]): ProtoMessage | undefined {
  let result = base;
  for (const value of externalValues) result = result ? mergedCopy(result, value) : value;
  return result;
}

/**
 * Step 8 of "Processing one event": the values to commit, i.e. the handlers' own values (puts and
 * deletes first) overridden by their external-config merges.
 *
 * - Keys of an ExternalConfigChange merge over the transaction's value when the transaction touches
 *   the key, else over the internal config. With no external value left (an external delete), the
 *   handlers' value wins back; with neither the key is deleted.
 * - Every other transaction key that some source holds is merged with the sources' values.
 * - A resync merges every key of every source (over the transaction's value, or as is).
 */
export function mergeExternalConfig(ownValues: KeyValuePairs, state: ConfigState, scope: MergeScope): KeyValuePairs {
  if (scope.kind === 'none') return ownValues;
  const external = state.externalConfig;
  if (external.isEmpty() && (scope.kind === 'resync' || !scope.externalChangeKeys)) return ownValues;
  const values: KeyValuePairs = new Map(ownValues);

  if (scope.kind === 'resync') {
    for (const key of external.keys()) {
      values.set(key, fold(ownValues.get(key) ?? undefined, external.valuesOf(key)) ?? null);
    }
    return values;
  }

  const changed = new Set(scope.externalChangeKeys ?? []);
  for (const key of changed) {
    const base = ownValues.has(key) ? ownValues.get(key) ?? undefined : state.internalConfig.get(key);
    values.set(key, fold(base, external.valuesOf(key)) ?? null);
  }
  for (const [key, value] of ownValues) {
    if (changed.has(key) || !external.has(key)) continue;
    values.set(key, fold(value ?? undefined, external.valuesOf(key)) ?? null);
  }
  return values;
}
