import type { KeyOperation } from '../../api/errors';

/** Makes operations on matching keys fail: `times` times, or always when `times` is 0/absent. */
export interface FaultRule {
  key: string | RegExp;
  /** Empty/absent = every operation. */
  operations?: KeyOperation[];
  times?: number;
  error?: string;
}

interface ActiveFault {
  id: number;
  pattern: RegExp;
  operations?: ReadonlySet<KeyOperation>;
  /** Infinity for "always". */
  remaining: number;
  error: string;
}

/** Fault injection for the simulated dataplane: the test and demo hook for failures. */
export class FaultInjector {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  /** Adds a rule; returns its id (for `remove`). */
  add(rule: FaultRule): number {
    const pattern = typeof rule.key === 'string' ? new RegExp(rule.key) : new RegExp(rule.key.source, rule.key.flags.replace('g', ''));
    const id = this.nextId++;
    this.faults.push({
      id,
      pattern,
      operations: rule.operations && rule.operations.length > 0 ? new Set(rule.operations) : undefined,
      remaining: rule.times && rule.times > 0 ? rule.times : Infinity,
      error: rule.error || 'injected fault',
    });
    return id;
  }

  remove(id: number): void {
    this.faults = this.faults.filter((fault) => fault.id !== id);
  }

  clear(): void {
    this.faults = [];
  }

  /** The error to fail this operation with, or undefined; consumes one failure of the rule. */
  check(key: string, operation: KeyOperation): string | undefined {
    if (this.faults.length === 0) return undefined;
    for (const fault of this.faults) {
      if (fault.remaining <= 0) continue;
      if (fault.operations && !fault.operations.has(operation)) continue;
      if (!fault.pattern.test(key)) continue;
      fault.remaining -= 1;
      return `${fault.error} (${operation} ${key})`;
    }
    return undefined;
  }
}
