import type { KeyValuePairs, ProtoMessage } from '../api/types';
import { ExternalConfigMergeError } from '../api/errors';
import { mergedCopy } from '../protobuf/merge';
import type { ConfigState } from './configState';

/** Which keys to merge external config into. */
export type MergeScope =
  | { kind: 'update'; externalChangeKeys?: Iterable<string> }
  | { kind: 'resync' }
  /** A downstream resync carries no values. */
  | { kind: 'none' };

const NO_ERRORS: readonly ExternalConfigMergeError[] = Object.freeze([]);

/** The values to commit, and the keys whose external config could not be merged. */
export interface MergedValues {
  values: KeyValuePairs;
  errors: readonly ExternalConfigMergeError[];
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
 *
 * A key whose values cannot be merged (messages of different types) keeps its base value and is
 * reported: one bad external value must not fail every later transaction.
 */
export function mergeExternalConfig(ownValues: KeyValuePairs, state: ConfigState, scope: MergeScope): MergedValues {
  const external = state.externalConfig;
  if (scope.kind === 'none' || (external.isEmpty() && (scope.kind === 'resync' || !scope.externalChangeKeys))) return { values: ownValues, errors: NO_ERRORS };
  const errors: ExternalConfigMergeError[] = [];
  const values: KeyValuePairs = new Map(ownValues);
  const fold = (key: string, base: ProtoMessage | undefined): ProtoMessage | null => {
    let result = base;
    for (const value of external.valuesOf(key)) {
      try {
        result = result ? mergedCopy(result, value) : value;
      } catch (error) {
        errors.push(new ExternalConfigMergeError(key, error));
      }
    }
    return result ?? null;
  };

  if (scope.kind === 'resync') {
    for (const key of external.keys()) values.set(key, fold(key, ownValues.get(key) ?? undefined));
    return { values, errors };
  }

  const changed = new Set(scope.externalChangeKeys ?? []);
  for (const key of changed) {
    const base = ownValues.has(key) ? ownValues.get(key) ?? undefined : state.internalConfig.get(key);
    values.set(key, fold(key, base));
  }
  for (const [key, value] of ownValues) {
    if (changed.has(key) || !external.has(key)) continue;
    values.set(key, fold(key, value ?? undefined));
  }
  return { values, errors };
}
