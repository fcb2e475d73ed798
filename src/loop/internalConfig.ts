import type { KeyValuePairs, ProtoMessage } from '../api/types';

/**
 * From this many values on, a resync's values are shared instead of copied (see InternalConfig).
 * Below it the copy costs little and keeps every lookup to one Map.
 */
export const SHARE_RESYNC_FROM_VALUES = 4096;

/**
 * The key-values the handlers produced, as last committed: point lookups and updates, never
 * iterated.
 *
 * After a big FULL or UPSTREAM resync it reads the resync's own values in place instead of copying
 * them: a 310,000-value Map is about 23 MB, and the copy was made while the transaction (which the
 * southbound's recorded transaction may keep) was still alive: it set the resync's peak memory.
 * That map is read-only from then on (the transaction is sealed; southbounds get it as a
 * ReadonlyMap), so later updates go to an overlay; once the overlay outgrows a quarter of the
 * shared values, both are folded into a map of our own, written in place from then on. A null in
 * either means "absent".
 */
export class InternalConfig {
  /**
   * Our own values; while `shared` is set, the changes made since it was shared (null = deleted).
   * Without `shared` it holds no nulls.
   */
  private own = new Map<string, ProtoMessage | null>();
  /** The values of the last big resync, read in place and never written to. */
  private shared: ReadonlyMap<string, ProtoMessage | null> | undefined;

  get(key: string): ProtoMessage | undefined {
    const value = this.own.get(key);
    if (value !== undefined || this.shared === undefined) return value ?? undefined;
    return this.shared.get(key) ?? undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** The handlers' values of an update event: null deletes. */
  update(values: KeyValuePairs): void {
    if (this.shared === undefined) {
      values.forEach(this.setOwn);
      return;
    }
    values.forEach(this.setChange);
    if (this.own.size * 4 > this.shared.size) this.fold(this.shared);
  }

  /** The whole config after a FULL or UPSTREAM resync: exactly `values`, which nobody changes from now on. */
  replace(values: KeyValuePairs): void {
    if (values.size >= SHARE_RESYNC_FROM_VALUES) {
      this.shared = values;
      this.own = new Map();
      return;
    }
    this.shared = undefined;
    this.own = new Map();
    for (const [key, value] of values) if (value) this.own.set(key, value);
  }

  // Arrow properties: forEach without a closure or a [key, value] array per entry (the hot path).
  private readonly setOwn = (value: ProtoMessage | null, key: string): void => {
    if (value) this.own.set(key, value);
    else this.own.delete(key);
  };

  private readonly setChange = (value: ProtoMessage | null, key: string): void => {
    this.own.set(key, value);
  };

  /** Takes the shared values and the changes into a map of our own. */
  private fold(shared: ReadonlyMap<string, ProtoMessage | null>): void {
    const own = new Map<string, ProtoMessage | null>();
    for (const [key, value] of shared) if (value && !this.own.has(key)) own.set(key, value);
    for (const [key, value] of this.own) if (value) own.set(key, value);
    this.own = own;
    this.shared = undefined;
  }
}
