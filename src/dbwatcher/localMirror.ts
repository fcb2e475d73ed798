import type { Logger } from 'pino';
import type { KubeStateData } from '../api/types';
import { decodeValue } from './codec';
import { KSR_PREFIX, stripPrefix } from './keys';
import type { LmdbStore } from './lmdbStore';
import type { ResourceRegistry } from './registry';
import type { StoredEntry } from './store';

/** A change of the mirror: a put when `value` is given, else a delete. */
export interface MirrorWrite {
  key: string;
  value?: Buffer;
}

/**
 * The local copy of the Kubernetes state (the KSR prefix only; external config is not
 * mirrored, as in the original), so that an agent can start while the remote DB is
 * unreachable. It holds what the handlers were given, as the remote DB's bytes under the same
 * keys: a bad value is not mirrored, its key keeps the last good bytes (or is absent).
 */
export class LocalMirror {
  constructor(
    readonly store: LmdbStore,
    private readonly registry: ResourceRegistry,
    private readonly logger: Logger,
  ) {}

  /**
   * Makes the mirror equal to the remote DB's kube state entries, except the bad keys
   * (`bad`: store key -> whether the handlers keep its last good value): a kept one is left as
   * it is, the others are removed.
   */
  async rewrite(entries: readonly StoredEntry[], bad: ReadonlyMap<string, boolean> = new Map()): Promise<number> {
    const wanted = new Map<string, Buffer>();
    for (const entry of entries) if (entry.key.startsWith(KSR_PREFIX) && !bad.has(entry.key)) wanted.set(entry.key, entry.value);
    const untouched = new Set<string>();
    for (const [key, kept] of bad) if (kept) untouched.add(key);
    return this.store.replacePrefix(KSR_PREFIX, wanted, untouched);
  }

  /** Puts (`value` given) and deletes, in order, in one transaction. */
  async apply(writes: readonly MirrorWrite[]): Promise<void> {
    await this.store.apply(writes);
  }

  /** The mirrored kube state, decoded; undecodable entries are logged and left out. */
  async load(): Promise<KubeStateData> {
    const snapshot = await this.store.list([KSR_PREFIX]);
    const kubeState: KubeStateData = new Map();
    for (const entry of snapshot.entries) {
      const key = stripPrefix(entry.key, KSR_PREFIX);
      const resource = key === undefined ? undefined : this.registry.resourceForKey(key);
      if (key === undefined || !resource) continue;
      try {
        this.registry.checkKey(resource, key);
        const value = decodeValue(entry.key, resource.type, entry.value);
        let values = kubeState.get(resource.keyword);
        if (!values) kubeState.set(resource.keyword, (values = new Map()));
        values.set(key, value);
      } catch (err) {
        this.logger.warn({ err, key: entry.key }, 'skipping an undecodable value of the local DB');
      }
    }
    return kubeState;
  }
}
