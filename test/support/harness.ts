import pino, { type Logger } from 'pino';
import { Writable } from 'node:stream';
import {
  createController,
  CustomUpdateEvent,
  EventMethodType,
  InMemorySouthbound,
  UpdateDirectionType,
  UpdateTransactionType,
  type Controller,
  type ControllerClock,
  type ControllerConfig,
  type Event,
  type EventHandler,
  type ExternalConfigSource,
  type KubeStateData,
  type ResyncOperations,
  type Southbound,
  type UpdateOperations,
} from '../../src';
import { Completion } from '../../src/api/events/completion';
import { grpcFixture } from '../southbound/grpcFixture';
import { json } from './messages';
import { waitFor } from './waitFor';

/** A southbound under test, with what the scenarios need to look at it and to make it fail. */
export interface SouthboundFixture {
  readonly kind: string;
  readonly southbound: Southbound;
  /** The applied state as key -> JSON of the value. */
  applied(): Promise<Record<string, unknown>>;
  /** Makes matching keys fail `times` times (default always); returns the undo. */
  failKeys(keys: RegExp | string, times?: number, error?: string): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export function memoryFixture(): SouthboundFixture & { memory: InMemorySouthbound } {
  const memory = new InMemorySouthbound();
  return {
    kind: 'in-memory',
    memory,
    southbound: memory,
    applied: async () => Object.fromEntries([...memory.applied].map(([key, v]) => [key, json(v)])),
    failKeys: async (keys, times, error) => {
      const undo = memory.injectFailure({ keys, times, error });
      return async () => undo();
    },
    close: () => memory.close(),
  };
}

/** Every southbound the controller scenarios run against: in memory, and the reference agent over gRPC. */
export const SOUTHBOUND_FIXTURES: [string, () => Promise<SouthboundFixture>][] = [
  ['in-memory', async () => memoryFixture()],
  ['grpc', () => grpcFixture()],
];

/** Collects log lines so a test can look for a fact the controller logged. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

type MaybePromise<T> = T | Promise<T>;

export interface HandlerBehaviour {
  handles?: (event: Event) => MaybePromise<boolean>;
  update?: (event: Event, txn: UpdateOperations) => MaybePromise<string | void>;
  resync?: (event: Event, kubeState: KubeStateData, resyncCount: number, txn: ResyncOperations) => MaybePromise<void>;
  revert?: (event: Event) => MaybePromise<void>;
  describe?: () => MaybePromise<string>;
}

/** A handler that records every call into a log shared by the handlers of a test. */
export function recordingHandler(name: string, calls: string[], behaviour: HandlerBehaviour = {}): EventHandler {
  const handler: EventHandler = {
    name,
    handlesEvent: (event) => (behaviour.handles ? behaviour.handles(event) : true),
    update: (event, txn) => {
      calls.push(`${name}.update(${event.getName()})`);
      return behaviour.update?.(event, txn);
    },
    resync: (event, kubeState, resyncCount, txn) => {
      calls.push(`${name}.resync(${event.getName()})`);
      return behaviour.resync?.(event, kubeState, resyncCount, txn);
    },
    revert: (event) => {
      calls.push(`${name}.revert(${event.getName()})`);
      return behaviour.revert?.(event);
    },
  };
  if (behaviour.describe) handler.describeInternalData = behaviour.describe;
  return handler;
}

/** A user-defined update event, with a wait() like the built-in blocking events. */
export class TestUpdate extends CustomUpdateEvent {
  constructor(
    readonly name = 'Test Update',
    transactionType = UpdateTransactionType.BestEffort,
    direction = UpdateDirectionType.Forward,
    blocking = false,
  ) {
    super({ name, transactionType, direction, blocking });
  }
}

/** A user-defined resync event of any method. */
export class TestResync implements Event {
  private readonly completion = new Completion();
  constructor(
    private readonly resyncMethod: EventMethodType,
    readonly name = 'Test Resync',
  ) {}
  getName(): string {
    return this.name;
  }
  toString(): string {
    return this.name;
  }
  method(): EventMethodType {
    return this.resyncMethod;
  }
  isBlocking(): boolean {
    return false;
  }
  done(err?: Error | null): void {
    this.completion.done(err);
  }
  wait(): Promise<void> {
    return this.completion.wait();
  }
}

export interface Started {
  controller: Controller;
  logLines?: Record<string, unknown>[];
}

/** Creates and starts a controller with a silent logger unless given one. */
export async function startController(options: {
  handlers: EventHandler[];
  southbound: Southbound;
  config?: Partial<ControllerConfig>;
  externalSources?: ExternalConfigSource[];
  logger?: Logger;
  clock?: ControllerClock;
}): Promise<Controller> {
  const controller = createController({ logger: pino({ level: 'silent' }), ...options });
  await controller.start();
  return controller;
}

/** Waits until the controller's history holds `count` records and the loop is idle. */
export async function waitForHistory(controller: Controller, count: number): Promise<void> {
  await waitFor(
    () => controller.eventHistory().length >= count && controller.health().state === 'idle',
    `${count} events processed (have ${controller.eventHistory().length}, state ${controller.health().state})`,
  );
}

export function names(controller: Controller): string[] {
  return controller.eventHistory().map((r) => r.name);
}
