import { Root, type Type } from 'protobufjs';
import type { ProtoMessage } from '../src/api';
import type { Controller } from '../src/controller';
import { SchedulerEngine } from '../src/southbound/agent/scheduler';
import { SouthboundServer } from '../src/southbound/agent/server';
import { AnyCodec } from '../src/southbound/grpc/anyCodec';
import { GrpcSouthbound } from '../src/southbound/grpc/client';
import { InMemorySouthbound } from '../src/southbound/memory';
import { readyController, silentLogger } from './controllerSetup';
import { startSouthboundProcess, type RunningServer } from './grpcSouthboundProcess';
import { handlersOf, type HandlerSet, type PodChange, type Tally } from './workload';
import { BenchRunError } from './errors';

/** Hands each finished event's outcome to whoever awaits it: the strict rows await one event at a time. */
export class OneAtATime implements Tally {
  private settle: ((error: Error | undefined) => void) | undefined;
  failed = 0;
  firstError: Error | undefined;
  /** The outcome of the next event to finish. */
  next(): Promise<Error | undefined> {
    return new Promise((resolve) => (this.settle = resolve));
  }
  finished(_event: PodChange, error: Error | null | undefined): void {
    if (error) {
      this.failed++;
      this.firstError ??= error;
    }
    this.settle?.(error ?? undefined);
  }
}

/** Pushes one event, awaits its completion, then the next. Returns the elapsed milliseconds. */
async function strictRun(controller: Controller, events: readonly PodChange[], tally: OneAtATime): Promise<number> {
  const start = performance.now();
  for (const event of events) {
    const finished = tally.next();
    controller.pushEvent(event);
    await finished;
  }
  const elapsed = performance.now() - start;
  if (tally.failed > 0) throw new BenchRunError(`${tally.failed} events failed, the first with: ${tally.firstError?.message}`);
  return elapsed;
}

/** Where the reference southbound runs: in this process (still over a loopback TCP connection), or in its own. */
export type SouthboundPlace = 'in-process' | 'own process';

async function startSouthbound(place: SouthboundPlace): Promise<RunningServer> {
  if (place === 'own process') return startSouthboundProcess();
  const server = await SouthboundServer.start({ listen: '127.0.0.1:0', logger: silentLogger });
  return { address: server.address, stop: () => server.stop() };
}

/** The strict per-event row over gRPC: a controller + GrpcSouthbound + the reference southbound. */
export async function runGrpcStrict(events: readonly PodChange[], tally: OneAtATime, place: SouthboundPlace, handlers: HandlerSet = 'workload'): Promise<number> {
  const server = await startSouthbound(place);
  const southbound = new GrpcSouthbound({ address: server.address, logger: silentLogger });
  try {
    const controller = await readyController(southbound, {}, handlersOf(handlers));
    const elapsed = await strictRun(controller, events, tally);
    await controller.close();
    return elapsed;
  } finally {
    await southbound.close();
    await server.stop();
  }
}

/** Its baseline: the same controller workload against an InMemorySouthbound. */
export async function runMemoryStrict(events: readonly PodChange[], tally: OneAtATime): Promise<number> {
  const controller = await readyController(new InMemorySouthbound());
  const elapsed = await strictRun(controller, events, tally);
  await controller.close();
  return elapsed;
}

const root = Root.fromJSON({
  nested: {
    bench: {
      nested: {
        Interface: { fields: { name: { type: 'string', id: 1 }, mtu: { type: 'uint32', id: 2 }, ip: { type: 'string', id: 3 } } },
      },
    },
  },
});
const InterfaceType: Type = root.lookupType('bench.Interface');

/** The values of a big FULL resync: ~100 bytes of key and value each. */
export function fullResyncValues(count: number): Map<string, ProtoMessage> {
  const values = new Map<string, ProtoMessage>();
  for (let i = 0; i < count; i++) {
    const name = `if-${String(i).padStart(6, '0')}`;
    values.set(`config/interface/${name}-${'x'.repeat(30)}`, InterfaceType.create({ name: `${name}-${'y'.repeat(30)}`, mtu: 1500, ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/24` }));
  }
  return values;
}

/**
 * One FULL commit of `values` through GrpcSouthbound to an empty southbound in its own process,
 * recorded transaction included. The southbound is a long-running process: it is warmed up first
 * with the same resync and an empty one (which deletes everything again), as a running agent
 * would have found it.
 */
export async function runGrpcFullCommit(values: ReadonlyMap<string, ProtoMessage>): Promise<number> {
  const server = await startSouthboundProcess();
  const southbound = new GrpcSouthbound({ address: server.address, logger: silentLogger });
  try {
    await southbound.commit({ description: 'warm-up', values, resync: 'full', revertOnFailure: false });
    await southbound.commit({ description: 'warm-up: back to empty', values: new Map(), resync: 'full', revertOnFailure: false });
    const start = performance.now();
    const result = await southbound.commit({ description: 'bench FULL resync', values, resync: 'full', startup: true, revertOnFailure: false });
    const elapsed = performance.now() - start;
    if (result.recorded?.executed.length !== values.size) throw new Error(`recorded ${result.recorded?.executed.length} operations, expected ${values.size}`);
    return elapsed;
  } finally {
    await southbound.close();
    await server.stop();
  }
}

/** Its baseline: the in-process SchedulerEngine applying the same (already packed) transaction. */
export async function runEngineFullCommit(values: ReadonlyMap<string, ProtoMessage>): Promise<number> {
  const codec = new AnyCodec();
  const packed = [...values].map(([key, message]) => ({ key, value: codec.pack(key, message) }));
  const engine = new SchedulerEngine();
  try {
    const start = performance.now();
    const result = engine.commit({ values: packed, resync: 'full', verbose: true, description: 'bench FULL resync' });
    const elapsed = performance.now() - start;
    if (result.keyErrors.length > 0 || result.initError) throw new Error('the engine failed the transaction');
    return elapsed;
  } finally {
    engine.close();
  }
}
