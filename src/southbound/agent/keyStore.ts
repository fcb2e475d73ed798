import type { KeyOperation } from '../../api/errors';
import type { ValueState } from '../../api/southbound';
import type { DependencyRules } from './dependencyRules';
import type { StoredValue, ValueStatus } from './types';

const NO_KEYS: readonly string[] = [];

/** What the scheduler knows about one key. */
export interface KeyRecord {
  readonly key: string;
  /** The northbound's desired value; undefined while being deleted (or only discovered). */
  desired?: StoredValue;
  /** The scheduler's view of what the dataplane holds for the key. */
  applied?: StoredValue;
  state: ValueState;
  error?: string;
  lastOperation?: KeyOperation;
  /** The transaction that last changed the status. */
  seqNum: bigint;
  /** The sequence number of the failed transaction whose retry owns this key (if RETRYING). */
  retryToken?: bigint;
  /** The transaction that set `desired` to the value it carried for the key. */
  sentIn?: bigint;
  /** Which of that transaction's values it was (numbered from 1). */
  sentNumber: number;
  readonly dependencies: readonly string[];
}

/**
 * The scheduler's per-key records and the reverse dependency index (key -> keys depending on
 * it), kept in step: a record is indexed from its creation to its removal.
 */
export class KeyStore {
  private readonly records = new Map<string, KeyRecord>();
  /**
   * Key -> the keys depending on it. A key with one dependent (an ARP entry on its interface:
   * 100,000 of them in a big resync) holds it as such; a Set only from the second.
   */
  private readonly dependents = new Map<string, string | Set<string>>();

  constructor(private readonly rules: DependencyRules) {}

  get size(): number {
    return this.records.size;
  }

  get(key: string): KeyRecord | undefined {
    return this.records.get(key);
  }

  getOrCreate(key: string, seqNum: bigint): KeyRecord {
    let record = this.records.get(key);
    if (record) return record;
    // Every field from the start: records keep one shape.
    record = {
      key,
      desired: undefined,
      applied: undefined,
      state: 'NONEXISTENT',
      error: undefined,
      lastOperation: undefined,
      seqNum,
      retryToken: undefined,
      sentIn: undefined,
      sentNumber: 0,
      dependencies: this.rules.dependenciesOf(key),
    };
    this.records.set(key, record);
    for (const dep of record.dependencies) {
      const known = this.dependents.get(dep);
      if (known === undefined) this.dependents.set(dep, key);
      else if (typeof known !== 'string') known.add(key);
      else if (known !== key) this.dependents.set(dep, new Set([known, key]));
    }
    return record;
  }

  delete(key: string): void {
    const record = this.records.get(key);
    if (!record) return;
    this.records.delete(key);
    for (const dep of record.dependencies) {
      const known = this.dependents.get(dep);
      if (known === key || (typeof known === 'object' && known.delete(key) && known.size === 0)) this.dependents.delete(dep);
    }
  }

  /** Keys whose values depend on `key` (a copy: callers change the store while iterating). */
  dependentsOf(key: string): readonly string[] {
    const known = this.dependents.get(key);
    if (known === undefined) return NO_KEYS;
    return typeof known === 'string' ? [known] : [...known];
  }

  keys(): IterableIterator<string> {
    return this.records.keys();
  }

  values(): IterableIterator<KeyRecord> {
    return this.records.values();
  }
}

export function statusOf(record: KeyRecord): ValueStatus {
  return {
    key: record.key,
    state: record.state,
    error: record.error,
    lastOperation: record.lastOperation,
    seqNum: record.seqNum,
  };
}
