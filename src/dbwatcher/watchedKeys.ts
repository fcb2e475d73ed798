import type { KubeStateData, ProtoMessage } from '../api/types';

interface SeenKey {
  /** The newest revision seen for the key (a put or a delete). */
  revision: number;
  /** The last value the handlers were given; absent when deleted or never decodable. */
  value?: ProtoMessage;
}

/**
 * What the watcher last saw per store key since the last resync: the revision, for dropping
 * repeated or older changes, and the decoded value, which is the next change's prevValue.
 * Deleted keys keep their revision (a tombstone) until the next resync.
 */
export class WatchedKeys {
  private readonly keys = new Map<string, SeenKey>();

  /** The values of a local resync (`prefix` + kube key), at revision 0: no remote revision is known. */
  static fromKubeState(prefix: string, kubeState: KubeStateData): WatchedKeys {
    const keys = new WatchedKeys();
    for (const values of kubeState.values()) for (const [key, value] of values) if (value) keys.record(prefix + key, 0, value);
    return keys;
  }

  /** True when a change at `revision` is not newer than what was seen for `key`. */
  isStale(key: string, revision: number): boolean {
    const seen = this.keys.get(key);
    return seen !== undefined && revision <= seen.revision;
  }

  lastValue(key: string): ProtoMessage | undefined {
    return this.keys.get(key)?.value;
  }

  /** Records a change: the key's value is now `value` (undefined = deleted). */
  record(key: string, revision: number, value: ProtoMessage | undefined): void {
    this.keys.set(key, { revision, value });
  }

  /** Records a revision whose value was skipped: the handlers keep the previous value. */
  recordSkipped(key: string, revision: number): void {
    const seen = this.keys.get(key);
    this.keys.set(key, { revision, value: seen?.value });
  }
}
