import pino from 'pino';
import { Root, type Type } from 'protobufjs';
import {
  DBResync,
  ExternalConfigChange,
  InMemorySouthbound,
  createController,
  type Controller,
  type Event,
  type EventHandler,
  type ProtoMessage,
  type Southbound,
  type UpdateOperations,
} from '../src';
import { GrpcSouthbound, SouthboundServer } from '../src/southbound';
import { SchedulerEngine } from '../src/southbound/agent/scheduler';
import { AnyCodec } from '../src/southbound/grpc/anyCodec';
import { startSouthboundProcess } from './grpcSouthboundProcess';
import { BenchUpdate } from './workload';

const silentLogger = pino({ level: 'silent' });

/**
 * The workload: 3 handlers, each putting 2 small protobuf values per event (the value
 * under its own prefix and a status beside it).
 */
class PairHandler implements EventHandler {
  constructor(readonly name: string) {}
  handlesEvent(event: Event): boolean {
    return event instanceof BenchUpdate;
  }
  resync(): void {}
  update(event: Event, txn: UpdateOperations): string {
    const update = event as BenchUpdate;
    txn.put(`${this.name}/${update.key}`, update.value);
    txn.put(`${this.name}/${update.key}/status`, update.value);
    return update.key;
  }
  revert(): void {}
}

function pairHandlers(): PairHandler[] {
  return [new PairHandler('bench/a'), new PairHandler('bench/b'), new PairHandler('bench/c')];
}

async function readyController(southbound: Southbound): Promise<Controller> {
  const controller = createController({ handlers: pairHandlers(), southbound, logger: silentLogger });
  await controller.start();
  controller.pushEvent(new DBResync());
  const marker = new ExternalConfigChange('bench', true);
  controller.pushEvent(marker);
  await marker.wait();
  return controller;
}

/** Pushes one event, awaits its completion, then the next. Returns the elapsed milliseconds. */
async function strictRun(controller: Controller, events: readonly BenchUpdate[]): Promise<number> {
  const start = performance.now();
  for (const event of events) {
    controller.pushEvent(event);
    await event.processed;
  }
  const elapsed = performance.now() - start;
  const failed = controller.eventHistory().filter((r) => r.txnError !== undefined);
  if (failed.length > 0) throw new Error(`${failed.length} events failed, e.g. #${failed[0].seqNum}: ${failed[0].txnError}`);
  return elapsed;
}

/** Where the reference southbound runs: in this process (still over a loopback TCP connection), or in its own. */
export type SouthboundPlace = 'in-process' | 'own process';

async function startSouthbound(place: SouthboundPlace): Promise<{ address: string; stop(): Promise<void> }> {
  if (place === 'own process') return startSouthboundProcess();
  const server = await SouthboundServer.start({ listen: '127.0.0.1:0', logger: silentLogger });
  return { address: server.address, stop: () => server.stop() };
}

/** The strict per-event row over gRPC: a controller + GrpcSouthbound + the reference southbound. */
export async function runGrpcStrict(events: readonly BenchUpdate[], place: SouthboundPlace): Promise<number> {
  const server = await startSouthbound(place);
  const southbound = new GrpcSouthbound({ address: server.address, logger: silentLogger });
  try {
    const controller = await readyController(southbound);
    const elapsed = await strictRun(controller, events);
    await controller.close();
    return elapsed;
  } finally {
    await southbound.close();
    await server.stop();
  }
}

/** Its baseline: the same controller workload against an InMemorySouthbound. */
export async function runMemoryStrict(events: readonly BenchUpdate[]): Promise<number> {
  const controller = await readyController(new InMemorySouthbound());
  const elapsed = await strictRun(controller, events);
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
