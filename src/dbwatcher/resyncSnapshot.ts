import type { Logger } from 'pino';
import type { KeyValuePairs, KubeStateData } from '../api/types';
import type { StoreKeyDecoder } from './storeKeyDecoder';
import type { StoreSnapshot } from './store';
import { WatchedKeys } from './watchedKeys';

/** The content of a DBResync, decoded from a store snapshot, and the key table to continue from. */
export interface DecodedSnapshot {
  kubeState: KubeStateData;
  externalConfig: KeyValuePairs;
  watchedKeys: WatchedKeys;
}

/**
 * Decodes every entry of a snapshot. An undecodable value is logged and left out (the rule of
 * the semantics page), but its revision is kept so that a replayed change is still recognised.
 */
export function decodeSnapshot(snapshot: StoreSnapshot, decoder: StoreKeyDecoder, logger: Logger): DecodedSnapshot {
  const kubeState: KubeStateData = new Map();
  const externalConfig: KeyValuePairs = new Map();
  const watchedKeys = new WatchedKeys();
  for (const entry of snapshot.entries) {
    const target = decoder.classify(entry.key);
    if (target.kind === 'ignored') continue;
    try {
      const value = decoder.decode(entry.key, target, entry.value);
      watchedKeys.record(entry.key, entry.modRevision, value);
      if (target.kind === 'external') {
        externalConfig.set(target.key, value);
        continue;
      }
      let values = kubeState.get(target.resource);
      if (!values) kubeState.set(target.resource, (values = new Map()));
      values.set(target.key, value);
    } catch (err) {
      watchedKeys.recordSkipped(entry.key, entry.modRevision);
      logger.warn({ err, key: entry.key }, 'skipping an undecodable value in the resync');
    }
  }
  return { kubeState, externalConfig, watchedKeys };
}
