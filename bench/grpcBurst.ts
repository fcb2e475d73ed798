/**
 * Row 4 (family `grpc`): a burst of pod changes pushed at once into a controller committing over
 * gRPC to the reference southbound in its own process, one commit per event
 * (`coalesceUpdates: false`) or coalesced. Runs in a fresh process (`measureGrpcBurst`).
 */
import { GrpcSouthbound } from '../src/southbound/grpc/client';
import { runTask, serveTask } from './childTask';
import { barrier, readyController, silentLogger } from './controllerSetup';
import { startSouthboundProcess } from './grpcSouthboundProcess';
import { startTiming, type Timing } from './stats';
import { Counter, handlersOf, podChanges, type HandlerSet } from './workload';

export interface GrpcBurstInput {
  coalesce: boolean;
  events: number;
  warmupEvents: number;
  /** The workload's handlers by default. */
  handlers?: HandlerSet;
}

async function burst(input: GrpcBurstInput): Promise<Timing> {
  const server = await startSouthboundProcess();
  const southbound = new GrpcSouthbound({ address: server.address, logger: silentLogger });
  try {
    const counter = new Counter();
    const controller = await readyController(southbound, { coalesceUpdates: input.coalesce, eventQueueSize: input.events + 16 }, handlersOf(input.handlers ?? 'workload'));
    for (const event of podChanges(input.warmupEvents, counter)) controller.pushEvent(event);
    await barrier(controller);
    const events = podChanges(input.events, counter, input.warmupEvents);
    const stop = startTiming();
    for (const event of events) controller.pushEvent(event);
    await barrier(controller);
    const timing = stop();
    counter.check(input.warmupEvents + input.events);
    await controller.close();
    return timing;
  } finally {
    await southbound.close();
    await server.stop();
  }
}

export async function measureGrpcBurst(input: GrpcBurstInput): Promise<Timing> {
  return (await runTask<GrpcBurstInput, Timing>('grpcBurst', input)).result;
}

serveTask(module, burst);
