import type { KeyOperation } from '../../api/errors';
import type { FaultInjector } from './faultInjector';
import type { StoredValue } from './types';

/** An operation the dataplane refused (from fault injection). */
export class DataplaneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataplaneError';
  }
}

/**
 * The simulated dataplane: what is "really" applied. The scheduler keeps its own view of it;
 * `drift` changes the dataplane behind the scheduler's back, so that a FULL or DOWNSTREAM resync
 * (which refresh the view) has something to fix and an UPSTREAM one (which does not) has not.
 */
export class SimulatedDataplane {
  private readonly applied = new Map<string, StoredValue>();

  constructor(private readonly faults: FaultInjector) {}

  /** Applies one operation; throws DataplaneError when a fault is injected for it. */
  apply(key: string, operation: KeyOperation, value: StoredValue | undefined): void {
    const fault = this.faults.check(key, operation);
    if (fault !== undefined) throw new DataplaneError(fault);
    if (value === undefined) this.applied.delete(key);
    else this.applied.set(key, value);
  }

  get(key: string): StoredValue | undefined {
    return this.applied.get(key);
  }

  entries(): IterableIterator<[string, StoredValue]> {
    return this.applied.entries();
  }

  /** Removes and/or changes values without the scheduler knowing (never fails). */
  drift(change: { removeKeys?: readonly string[]; putValues?: ReadonlyArray<{ key: string; value: StoredValue }> }): void {
    for (const key of change.removeKeys ?? []) this.applied.delete(key);
    for (const { key, value } of change.putValues ?? []) this.applied.set(key, value);
  }
}
