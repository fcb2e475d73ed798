/**
 * One steady stream of pod changes (bench/latencyRows.ts runs it in a fresh process): a fixed
 * rate for a warm-up second, then for the measured seconds, into a controller committing over
 * gRPC to the reference southbound in its own process (or, as the baseline, to the in-memory
 * CopySouthbound). Each event's latency runs from its pushEvent to its done().
 */
import type { Southbound } from '../src/api';
import { GrpcSouthbound } from '../src/southbound/grpc/client';
import { serveTask } from './childTask';
import { barrier, readyController, silentLogger } from './controllerSetup';
import { startSouthboundProcess, type SouthboundProcess } from './grpcSouthboundProcess';
import { percentile } from './stats';
import { CopySouthbound, podChanges, type PodChange, type Tally } from './workload';
import { BenchRunError } from './errors';

export interface LatencyInput {
  southbound: 'grpc' | 'in-memory';
  perSecond: number;
  seconds: number;
  warmupSeconds: number;
}

export interface LatencyOutput {
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** Events per second actually pushed over the measured seconds. */
  achievedPerSecond: number;
  failed: number;
  /** CPU time of this process (the controller's, not the southbound's) over the measured seconds, ms. */
  cpuMs: number;
}

/** Keeps each event's push → done time, in ms, once the warm-up is over. */
class Latencies implements Tally {
  readonly samples: number[] = [];
  failed = 0;
  measuring = false;
  finished(event: PodChange, error: Error | null | undefined): void {
    if (error) this.failed++;
    if (this.measuring) this.samples.push(performance.now() - event.pushedAt);
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

/** Pushes each event when its time comes: due i at start + i / rate; the timer wakes every millisecond. */
async function stream(push: (event: PodChange) => void, events: readonly PodChange[], perSecond: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  while (next < events.length) {
    const due = Math.min(events.length, Math.floor(((performance.now() - start) * perSecond) / 1000) + 1);
    for (; next < due; next++) {
      events[next].pushedAt = performance.now();
      push(events[next]);
    }
    if (next < events.length) await tick();
  }
  return performance.now() - start;
}

async function steady(input: LatencyInput): Promise<LatencyOutput> {
  let server: SouthboundProcess | undefined;
  let southbound: Southbound;
  if (input.southbound === 'grpc') {
    server = await startSouthboundProcess();
    southbound = new GrpcSouthbound({ address: server.address, logger: silentLogger });
  } else {
    southbound = new CopySouthbound();
  }
  try {
    const latencies = new Latencies();
    const controller = await readyController(southbound);
    const warmup = podChanges(input.perSecond * input.warmupSeconds, latencies);
    const measured = podChanges(input.perSecond * input.seconds, latencies, warmup.length);
    const push = (event: PodChange): void => controller.pushEvent(event);
    await stream(push, warmup, input.perSecond);
    await barrier(controller);
    latencies.measuring = true;
    const cpuBefore = process.cpuUsage();
    const elapsedMs = await stream(push, measured, input.perSecond);
    await barrier(controller);
    const cpu = process.cpuUsage(cpuBefore);
    await controller.close();
    const sorted = latencies.samples.sort((a, b) => a - b);
    if (sorted.length !== measured.length) throw new BenchRunError(`${sorted.length} of ${measured.length} events finished`);
    return {
      count: sorted.length,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      max: sorted[sorted.length - 1],
      achievedPerSecond: (measured.length * 1000) / elapsedMs,
      failed: latencies.failed,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  } finally {
    await southbound.close?.();
    await server?.stop();
  }
}

serveTask(module, steady);
