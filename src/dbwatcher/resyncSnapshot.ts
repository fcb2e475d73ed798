import type { Logger } from 'pino';
import type { KeyValuePairs, KubeStateData, ProtoMessage } from '../api/types';
import type { BadKeys } from './badKeys';
import type { StoreKeyDecoder } from './storeKeyDecoder';
import type { StoredEntry, StoreSnapshot } from './store';
import { WatchedKeys } from './watchedKeys';

/** The content of a DBResync, decoded from a store snapshot, and the key table to continue from. */
export interface DecodedSnapshot {
  kubeState: KubeStateData;
  externalConfig: KeyValuePairs;
  watchedKeys: WatchedKeys;
  /** Store keys with a bad value: true when the handlers keep its last good value. */
  badKeys: Map<string, boolean>;
}

/** Bad keys of one resync logged one by one; the rest are counted in one line. */
const LOGGED_BAD_KEYS = 20;

/**
 * Decodes every entry of a snapshot, with the rule of the change path: a bad key (a value that
 * does not decode, a key off the layout) keeps the last good value the handlers were given
 * (`previous`), or is left out when it never had one; either way it is reported in `badKeys`.
 * Its revision is kept, so that a replayed change is still recognised.
 */
export function decodeSnapshot(
  snapshot: StoreSnapshot,
  decoder: StoreKeyDecoder,
  previous: WatchedKeys,
  badKeys: BadKeys,
  logger: Logger,
): DecodedSnapshot {
  const kubeState: KubeStateData = new Map();
  const externalConfig: KeyValuePairs = new Map();
  const watchedKeys = new WatchedKeys();
  const bad = new Map<string, boolean>();
  const add = (target: ReturnType<StoreKeyDecoder['classify']>, value: ProtoMessage) => {
    if (target.kind === 'external') externalConfig.set(target.key, value);
    else if (target.kind === 'kube') {
      let values = kubeState.get(target.resource);
      if (!values) kubeState.set(target.resource, (values = new Map()));
      values.set(target.key, value);
    }
  };
  for (const entry of snapshot.entries) {
    const target = decoder.classify(entry.key);
    if (target.kind === 'ignored') continue;
    let value: ProtoMessage;
    try {
      value = decoder.decode(entry.key, target, entry.value);
    } catch (err) {
      const lastGood = previous.lastValue(entry.key);
      watchedKeys.record(entry.key, entry.modRevision, lastGood);
      if (lastGood) add(target, lastGood);
      bad.set(entry.key, lastGood !== undefined);
      badKeys.report(entry.key, entry.modRevision, err, lastGood !== undefined);
      if (bad.size <= LOGGED_BAD_KEYS) {
        logger.warn({ err, key: entry.key, keptLastGood: lastGood !== undefined }, 'bad value in the resync: reported, last good value kept if any');
      }
      continue;
    }
    watchedKeys.record(entry.key, entry.modRevision, value);
    add(target, value);
  }
  if (bad.size > LOGGED_BAD_KEYS) logger.warn({ badKeys: bad.size, logged: LOGGED_BAD_KEYS }, 'more bad values in the resync (see /controller/state)');
  badKeys.retainOnly(new Set(bad.keys()));
  return { kubeState, externalConfig, watchedKeys, badKeys: bad };
}

/**
 * The bad kube entries of a fresh read, for rewriting the local mirror outside a resync: store
 * key -> whether the handlers keep its last good value (`seen`).
 */
export function badEntries(entries: readonly StoredEntry[], decoder: StoreKeyDecoder, seen: WatchedKeys): Map<string, boolean> {
  const bad = new Map<string, boolean>();
  for (const entry of entries) {
    const target = decoder.classify(entry.key);
    if (target.kind !== 'kube') continue;
    try {
      decoder.decode(entry.key, target, entry.value);
    } catch {
      bad.set(entry.key, seen.lastValue(entry.key) !== undefined);
    }
  }
  return bad;
}
