/** Small statistics and formatting shared by the row families. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The value below which a share `q` (0..1) of the samples lie (nearest rank). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');

/** `a – b` over the samples, each formatted with `format`. */
export function range(values: readonly number[], format: (n: number) => string): string {
  if (values.length < 2) return '';
  return `${format(Math.min(...values))} – ${format(Math.max(...values))}`;
}

export const perSecond = (count: number, ms: number): number => (count * 1000) / ms;

export const ratio = (value: number): string => `${value.toFixed(2)}×`;

export const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MiB`;

export const ms = (value: number, digits = 0): string =>
  `${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ms`;

/** Wall and process CPU time of one timed run, in milliseconds. */
export interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** Collects garbage when node runs with --expose-gc, so one run's garbage is not billed to the next. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Starts a clock for wall and CPU time, after a garbage collection. */
export function startTiming(): () => Timing {
  collectGarbage();
  const cpu = process.cpuUsage();
  const start = performance.now();
  return () => {
    const wallMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    return { wallMs, cpuMs: (used.user + used.system) / 1000 };
  };
}

/** The repetitions of one throughput row: events per second of wall and of CPU time. */
export class Throughput {
  private readonly rates: number[] = [];
  private readonly cpuRates: number[] = [];

  constructor(readonly events: number) {}

  add(timing: Timing, events = this.events): void {
    this.rates.push(perSecond(events, timing.wallMs));
    if (Number.isFinite(timing.cpuMs) && timing.cpuMs > 0) this.cpuRates.push(perSecond(events, timing.cpuMs));
  }

  get count(): number {
    return this.rates.length;
  }

  /** Median events per wall-clock second. */
  get rate(): number {
    return median(this.rates);
  }

  /** Median events per CPU second of the process (NaN when unknown). */
  get cpuRate(): number {
    return median(this.cpuRates);
  }

  figure(): string {
    return `${thousands(this.rate)} ev/s`;
  }

  range(): string {
    return range(this.rates, thousands);
  }

  cpuFigure(): string {
    return Number.isNaN(this.cpuRate) ? 'n/a' : `${thousands(this.cpuRate)} ev/cpu-s`;
  }
}
