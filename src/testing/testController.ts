import pino, { type Logger } from 'pino';
import type { InspectionEvent, Observer } from 'xstate';
import type { ControllerConfig } from '../api/config';
import type { Event } from '../api/event';
import { DBResync } from '../api/events/dbResync';
import { ExternalConfigChange } from '../api/events/externalConfigChange';
import { DB_EXTERNAL_SOURCE, type ExternalConfigSource } from '../api/externalConfig';
import type { EventHandler } from '../api/handler';
import type { EventHistoryQuery, EventRecord } from '../api/history';
import type { ProtoMessage } from '../api/types';
import { createController, type Controller, type ControllerHealth } from '../controller';
import { ResourceRegistry } from '../dbwatcher/registry';
import { TestFixtureError } from './errors';
import { FakeSouthbound } from './fakeSouthbound';
import { ExternalConfigFixture, KubeStateFixture, type ExternalConfigTypes, type KubeObject, type KubeObjects, type PlainObject } from './kubeState';
import { settle } from './settle';
import { TestClock } from './testClock';

export interface TestControllerOptions {
  /** In dependency order, as for createController. */
  handlers: readonly EventHandler[];
  /** Controller settings (the defaults otherwise; timers run on simulated time). */
  config?: Partial<ControllerConfig>;
  /** The Kubernetes state of the startup resync, as plain objects by resource keyword. */
  kubeState?: KubeObjects;
  /** External config of the DB: the protobufjs Type of its values (or one model per key prefix) and the values of the startup resync. */
  externalConfig?: { type: ExternalConfigTypes; values?: Readonly<Record<string, PlainObject>> };
  /** Resources of the kube state: the reflector's built-ins by default; register your own on `ResourceRegistry.withBuiltins()`. */
  registry?: ResourceRegistry;
  externalSources?: readonly ExternalConfigSource[];
  /** The southbound (default: a new FakeSouthbound); give one to inject failures before the startup resync. */
  southbound?: FakeSouthbound;
  /** Silent by default. */
  logger?: Logger;
  /** Epoch milliseconds the simulated clock starts at (default: the real time now). */
  startTime?: number;
  /** Push and settle the startup DBResync (default true); false leaves the controller awaiting it. */
  startupResync?: boolean;
  /** Real milliseconds `settled()` may take before it fails (default 10,000). */
  settleLimitMs?: number;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/** A controller under test: the real runtime on a fake southbound and simulated time. */
export interface TestController {
  readonly controller: Controller;
  readonly southbound: FakeSouthbound;
  readonly clock: TestClock;
  readonly kubeState: KubeStateFixture;
  readonly externalConfig: ExternalConfigFixture;
  /** Queues an event (from outside the loop); see `process` to wait for it. */
  pushEvent(event: Event): void;
  /** Pushes an event, waits until the controller settles, and returns the event's history record. */
  process(event: Event): Promise<EventRecord>;
  /** Adds or replaces a Kubernetes object (plain fields, the reflector's names) and processes the change. */
  putKube(keyword: string, object: KubeObject): Promise<EventRecord>;
  /** Deletes a Kubernetes object the test put, and processes the change. */
  deleteKube(keyword: string, name: string, namespace?: string): Promise<EventRecord>;
  /** Changes external config (`null` deletes a key) from `source` (default the DB) and processes the change. */
  putExternalConfig(values: Readonly<Record<string, PlainObject | null>>, source?: string): Promise<EventRecord>;
  /** Processes a DBResync of the test's current kube state and DB external config (a reconnect of the DB watcher). */
  resync(): Promise<EventRecord>;
  /** Resolves once nothing is queued or running, no healing resync is queued and no timer is due. */
  settled(): Promise<void>;
  /**
   * Moves simulated time forward by `ms`, timer by timer, settling after each (a call still
   * running without progress is taken to wait for the clock: time moves on under it).
   */
  advance(ms: number): Promise<void>;
  /** Simulated epoch milliseconds. */
  now(): number;
  history(query?: EventHistoryQuery): EventRecord[];
  /** The latest record (of events named `name` when given); throws when there is none. */
  lastRecord(name?: string): EventRecord;
  getConfig(key: string): ProtoMessage | undefined;
  health(): ControllerHealth;
  /** Closes the controller (a Shutdown through the handlers) and the southbound. */
  close(): Promise<void>;
}

/**
 * Creates, starts and (unless told otherwise) resyncs a controller for tests, the way
 * controller-runtime's envtest and fake client serve Kubernetes controllers: the real event
 * loop, machine and handlers; a fake southbound; the DB watcher's models for the kube state;
 * simulated time.
 *
 * ```ts
 * const ctl = await createTestController({ handlers: [myHandler], kubeState: { pod: [{ name: 'web', namespace: 'default' }] } });
 * await ctl.putKube('pod', { name: 'db', namespace: 'default', ip_address: '10.1.1.3' });
 * expect(ctl.southbound.appliedKeys()).toEqual([...]);
 * await ctl.close();
 * ```
 */
export async function createTestController(options: TestControllerOptions): Promise<TestController> {
  const clock = new TestClock(options.startTime);
  const southbound = options.southbound ?? new FakeSouthbound();
  const kubeState = new KubeStateFixture(options.registry ?? ResourceRegistry.withBuiltins());
  const externalConfig = new ExternalConfigFixture(options.externalConfig?.type);
  kubeState.load(options.kubeState);
  externalConfig.change(options.externalConfig?.values ?? {}, true);
  const settleLimitMs = options.settleLimitMs ?? 10_000;

  const controller = createController({
    handlers: options.handlers,
    southbound,
    clock,
    logger: options.logger ?? pino({ level: 'silent' }),
    ...(options.config && { config: options.config }),
    ...(options.externalSources && { externalSources: options.externalSources }),
    ...(options.inspect && { inspect: options.inspect }),
  });

  const settled = (): Promise<void> => settle(controller, clock, settleLimitMs);
  const lastSeqNum = (): number => controller.eventHistory({ last: 1 })[0]?.seqNum ?? -1;

  async function processEvent(event: Event): Promise<EventRecord> {
    await settled();
    const after = lastSeqNum();
    controller.pushEvent(event);
    await settled();
    const record = controller.eventHistory({ from: after + 1 }).find((r) => !r.isFollowUp);
    if (!record) throw new TestFixtureError(`no history record of "${event.getName()}" (is recordEventHistory off, or is the controller closed?)`);
    return record;
  }

  async function advance(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`advance(ms) needs a finite number >= 0, got ${ms}`);
    const target = clock.now() + ms;
    // A call waiting for a timer of the clock only goes on when time moves: do not wait for it.
    const settledOrWaiting = (): Promise<void> => settle(controller, clock, settleLimitMs, { orStuck: true });
    await settledOrWaiting();
    for (let next = clock.nextDue(); next !== undefined && next <= target; next = clock.nextDue()) {
      clock.set(next);
      await settledOrWaiting();
    }
    clock.set(target);
    await settledOrWaiting();
  }

  const testController: TestController = {
    controller,
    southbound,
    clock,
    kubeState,
    externalConfig,
    pushEvent: (event) => controller.pushEvent(event),
    process: processEvent,
    // async: a bad object rejects like a failed processing, instead of throwing before the promise.
    putKube: async (keyword, object) => processEvent(kubeState.put(keyword, object)),
    deleteKube: async (keyword, name, namespace) => processEvent(kubeState.delete(keyword, name, namespace)),
    async putExternalConfig(values, source = DB_EXTERNAL_SOURCE) {
      const event = new ExternalConfigChange(source);
      for (const [key, value] of externalConfig.change(values, source === DB_EXTERNAL_SOURCE)) event.updatedKVs.set(key, value);
      return processEvent(event);
    },
    resync: async () => processEvent(new DBResync({ kubeState: kubeState.snapshot(), externalConfig: externalConfig.snapshot() })),
    settled,
    advance,
    now: () => clock.now(),
    history: (query) => controller.eventHistory(query),
    lastRecord(name) {
      const records = controller.eventHistory();
      const record = name === undefined ? records.at(-1) : [...records].reverse().find((r) => r.name === name);
      if (!record) throw new TestFixtureError(name === undefined ? 'the history is empty' : `no "${name}" in the history`);
      return record;
    },
    getConfig: (key) => controller.getConfig(key),
    health: () => controller.health(),
    async close() {
      await controller.close();
      await southbound.close();
    },
  };

  await controller.start();
  if (options.startupResync ?? true) await testController.resync();
  return testController;
}
