/**
 * One startup resync of a whole cluster (bench/networkState.ts) through the example network
 * handlers, in a fresh process so that its peak RSS is its own: committed as one FULL resync to
 * the reference southbound over gRPC (recorded transaction included), or to the in-memory
 * southbound. The kube state is built before the clock starts, as the DB watcher hands it over.
 */
import { DBResync, type Southbound } from '../src/api';
import { createController, type Controller } from '../src/controller';
import { GrpcSouthbound } from '../src/southbound/grpc/client';
import { InMemorySouthbound } from '../src/southbound/memory';
import { networkTypes } from '../examples/network';
import { serveTask } from './childTask';
import { silentLogger } from './controllerSetup';
import { bigNodeHandlers, clusterShape, clusterState, minimumValues, type ClusterShape } from './networkState';
import { startTiming, type Timing } from './stats';
import { BenchRunError } from './errors';

export interface ResyncInput {
  shape: ClusterShape;
  /** The reference southbound's address; none = the in-memory southbound. */
  southboundAddress?: string;
  /** Pods of an untimed in-memory resync first, so that small runs are not mostly JIT warm-up. */
  warmupPods?: number;
}

export interface ResyncOutput extends Timing {
  buildMs: number;
  /**
   * Peak RSS of this process when the resync is done, bytes: read before the checks below, which
   * decode the 310,000 recorded operations into JSON (what a REST reader of the history would
   * pay, not the resync) and would otherwise set the peak.
   */
  resyncPeakRssBytes: number;
  /** Values the southbound recorded (gRPC) or holds (in-memory). */
  values: number;
}

/** A DBResync whose end can be awaited (DBResync's own `done` does nothing). */
class AwaitedResync extends DBResync {
  private settle!: (error: Error | undefined) => void;
  readonly finished = new Promise<Error | undefined>((resolve) => (this.settle = resolve));
  override done(error?: Error | null): void {
    this.settle(error ?? undefined);
  }
}

/** Runs `event` through a fresh controller and the network handlers; resolves once it is done. */
async function startupResync(event: AwaitedResync, southbound: Southbound): Promise<{ controller: Controller; timing: Timing; peakRssBytes: number }> {
  // The startup resync may take a while at this size: no deadline in the way.
  const controller = createController({ handlers: bigNodeHandlers(), southbound, logger: silentLogger, config: { startupResyncDeadline: 600_000 } });
  await controller.start();
  const stop = startTiming();
  controller.pushEvent(event);
  const error = await event.finished;
  const timing = stop();
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  if (error) throw error;
  const record = controller.eventHistory({ last: 1 })[0];
  const failed = record?.handlers.find((h) => h.error);
  if (record?.txnError || failed) throw new BenchRunError(`the resync failed: ${record?.txnError ?? `${failed?.handler}: ${failed?.error}`}`);
  return { controller, timing, peakRssBytes };
}

async function resync(input: ResyncInput): Promise<ResyncOutput> {
  if (input.warmupPods) {
    const { controller } = await startupResync(new AwaitedResync({ kubeState: clusterState(clusterShape(input.warmupPods)) }), new InMemorySouthbound());
    await controller.close();
  }
  const buildStart = performance.now();
  const event = new AwaitedResync({ kubeState: clusterState(input.shape) });
  const buildMs = performance.now() - buildStart;
  const memory = input.southboundAddress === undefined ? new InMemorySouthbound() : undefined;
  const southbound: Southbound = memory ?? new GrpcSouthbound({ address: input.southboundAddress as string, types: networkTypes, logger: silentLogger });
  const { controller, timing, peakRssBytes } = await startupResync(event, southbound);
  const record = controller.eventHistory({ last: 1 })[0];
  const values = memory ? memory.applied.size : (record?.txn?.executed.length ?? 0);
  if (values < minimumValues(input.shape)) throw new BenchRunError(`the southbound has ${values} values, expected at least ${minimumValues(input.shape)}`);
  await controller.close();
  await southbound.close?.();
  return { ...timing, buildMs, resyncPeakRssBytes: peakRssBytes, values };
}

serveTask(module, resync);
