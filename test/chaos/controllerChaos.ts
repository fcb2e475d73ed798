/**
 * A seeded chaos run of the controller against real components: etcd (Debian's binary, on free
 * loopback ports), the reference southbound over loopback gRPC, and the DB watcher with its LMDB
 * mirror in a temp dir. A writer mutates pods and external config in etcd while the run SIGKILLs
 * and restarts etcd, restarts the southbound, makes it unreachable for a while, injects key
 * failures, makes handlers throw and hang past handlerTimeout, and floods the queue. After
 * quiescence it checks: every accepted event was finished exactly once, nothing went fatal, and
 * the southbound holds exactly what the same handlers derive from etcd's final content.
 *
 * The same seed gives the same sequence of actions (timing still varies): a failing run prints
 * its seed and the command that replays it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Root, type Type } from 'protobufjs';
import fc from 'fast-check';
import {
  createController,
  CustomUpdateEvent,
  InMemorySouthbound,
  KubeStateChange,
  type Controller,
  type Event,
  type EventHandler,
  type EventLoop,
  type KubeStateData,
  type ProtoMessage,
  type ResyncOperations,
  type UpdateOperations,
} from '../../src';
import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { openDbWatcher, type OpenedDbWatcher } from '../../src/dbwatcher/openDbWatcher';
import { ResourceRegistry } from '../../src/dbwatcher/registry';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { SouthboundAdminClient } from '../../src/southbound/grpc/adminClient';
import { AnyCodec } from '../../src/southbound/grpc/anyCodec';
import { GrpcSouthbound } from '../../src/southbound/grpc/client';
import { EtcdTestServer } from '../support/etcd';

const AGENT_LABEL = 'chaos';
const QUEUE_SIZE = 300;
const POD_NAMES = Array.from({ length: 16 }, (_, i) => `p${i}`);
const NAMESPACES = ['default', 'ns1'];

const chaosTypes = Root.fromJSON({
  nested: {
    chaos: {
      nested: {
        Config: { fields: { name: { type: 'string', id: 1 }, tags: { rule: 'repeated', type: 'string', id: 2 } } },
      },
    },
  },
});
const ConfigType: Type = chaosTypes.lookupType('chaos.Config');

export interface ChaosOptions {
  seed: number;
  steps: number;
  /** Where progress lines go (default: nowhere). */
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  steps: number;
  actions: Record<string, number>;
  /** Events the controller accepted (pushEvent did not throw). */
  accepted: number;
  /** Pushes refused at once (a full queue, a closing controller). */
  refused: number;
  /** Accepted events finished more than once, or not at all, after quiescence. */
  finishedTwice: number;
  unfinished: number;
  /** The controller was fatal at some point. */
  wentFatal: string | undefined;
  /** Keys where the southbound differs from what the handlers derive from etcd (empty = converged). */
  differences: string[];
  elapsedMs: number;
}


/** What the handler does on its next updates, set by the chaos actions. */
interface HandlerFaults {
  throwNext: number;
  hangNext: number;
}

function podKey(pod: ProtoMessage | undefined): string | undefined {
  const { name, namespace } = (pod ?? {}) as { name?: string; namespace?: string };
  return name ? `cfg/pod/${namespace ?? ''}/${name}` : undefined;
}

/** One value per pod: `cfg/pod/<namespace>/<name>`. External config under `cfg/` merges over it. */
function podConfigHandler(faults?: HandlerFaults): EventHandler {
  const valueOf = (pod: ProtoMessage): ProtoMessage => ConfigType.create({ name: (pod as { name?: string }).name, tags: ['handler'] });
  return {
    name: 'pod-config',
    handlesEvent: (event) => !(event instanceof FloodEvent),
    resync(_event: Event, kubeState: KubeStateData, _count: number, txn: ResyncOperations) {
      for (const pod of kubeState.get('pod')?.values() ?? []) {
        const key = pod && podKey(pod);
        if (key && pod) txn.put(key, valueOf(pod));
      }
    },
    async update(event: Event, txn: UpdateOperations) {
      if (!(event instanceof KubeStateChange) || event.resource !== 'pod') return '';
      if (faults && faults.throwNext > 0) {
        faults.throwNext--;
        throw new Error('chaos: the handler throws');
      }
      if (faults && faults.hangNext > 0) {
        faults.hangNext--;
        await new Promise(() => undefined);
      }
      const key = podKey(event.newValue ?? event.prevValue);
      if (!key) return '';
      if (event.newValue) txn.put(key, valueOf(event.newValue));
      else txn.delete(key);
      return `${event.newValue ? 'put' : 'delete'} ${key}`;
    },
    revert: () => undefined,
  };
}

/** A burst event no handler takes: it costs the loop, changes nothing. */
class FloodEvent extends CustomUpdateEvent {
  constructor() {
    super({ name: 'Chaos Flood' });
  }
}

function registry(): ResourceRegistry {
  return ResourceRegistry.withBuiltins().registerExternalConfig({ keyPrefix: 'cfg/', type: ConfigType });
}

/** Counts every `done()` of every accepted event, to prove each is finished exactly once. */
class TrackingLoop implements EventLoop {
  readonly finishes = new Map<Event, number>();
  refused = 0;

  constructor(private readonly controller: Controller) {}

  pushEvent(event: Event): void {
    const done = event.done.bind(event);
    this.finishes.set(event, 0);
    event.done = (err?: Error | null) => {
      this.finishes.set(event, (this.finishes.get(event) ?? 0) + 1);
      done(err);
    };
    try {
      this.controller.pushEvent(event);
    } catch (error) {
      this.finishes.delete(event);
      this.refused++;
      throw error;
    }
  }
}

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The applied values of a southbound as key -> JSON. */
function json(message: ProtoMessage): unknown {
  return (message as unknown as { toJSON(): unknown }).toJSON();
}

/** What the handlers derive from etcd's content: a fresh controller, without faults, on an in-memory southbound. */
async function derive(etcdEndpoint: string, dir: string): Promise<Map<string, unknown>> {
  const memory = new InMemorySouthbound();
  const controller = createController({ handlers: [podConfigHandler()], southbound: memory, logger: silent });
  let db: OpenedDbWatcher | undefined;
  try {
    await controller.start();
    db = openDbWatcher({ eventLoop: controller, agentLabel: AGENT_LABEL, logger: silent, dataDir: join(dir, 'reference'), etcdEndpoints: [etcdEndpoint], registry: registry() });
    db.watcher.start();
    const deadline = Date.now() + 60_000;
    while (!controller.health().ready || controller.health().state !== 'idle') {
      if (Date.now() > deadline) throw new Error(`the reference controller did not get ready: ${JSON.stringify(controller.health())}`);
      await sleep(50);
    }
    return new Map([...memory.applied].map(([key, value]) => [key, json(value)]));
  } finally {
    await controller.close();
    await db?.close();
  }
}

/** One step of a chaos run. */
export type ChaosAction =
  | { kind: 'put pod' | 'delete pod'; pod: string; namespace: string }
  | { kind: 'put external config'; key: string; tag: string }
  | { kind: 'delete external config'; key: string }
  | { kind: 'kill etcd' | 'restart southbound'; downForMs: number }
  | { kind: 'inject key failure'; pod: string; times: number }
  | { kind: 'handler throws'; times: number }
  | { kind: 'handler hangs' | 'flood' }
  | { kind: 'pause'; ms: number };

const pod = fc.constantFrom(...POD_NAMES);
const namespace = fc.constantFrom(...NAMESPACES);
const externalKey = fc.oneof(fc.tuple(namespace, pod).map(([ns, name]) => `cfg/pod/${ns}/${name}`), fc.integer({ min: 0, max: 3 }).map((i) => `cfg/extra/${i}`));

/** The weighted mix of actions: mostly writes, a few faults of each kind. */
const chaosAction: fc.Arbitrary<ChaosAction> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('put pod' as const), pod, namespace }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('delete pod' as const), pod, namespace }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('put external config' as const), key: externalKey, tag: fc.integer({ min: 0, max: 9 }).map((i) => `ext-${i}`) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('delete external config' as const), key: externalKey }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('kill etcd' as const), downForMs: fc.integer({ min: 100, max: 1500 }) }) },
  // 0 = a plain restart (a new, empty instance); more = unreachable for that long first.
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('restart southbound' as const), downForMs: fc.oneof(fc.constant(0), fc.integer({ min: 300, max: 2000 })) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('inject key failure' as const), pod, times: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('handler throws' as const), times: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('handler hangs' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flood' as const) }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 10, max: 300 }) }) },
);

/** The actions of a run: the same seed gives the same plan. */
export function chaosPlan(seed: number, steps: number): ChaosAction[] {
  return fc.sample(fc.array(chaosAction, { minLength: steps, maxLength: steps }), { seed, numRuns: 1 })[0];
}

/** Runs the chaos scenario; throws only when a component cannot be started at all. */
export async function runControllerChaos(options: ChaosOptions): Promise<ChaosReport> {
  const began = Date.now();
  const log = options.log ?? (() => undefined);
  const actions: Record<string, number> = {};
  const dir = mkdtempSync(join(tmpdir(), 'controller-chaos-'));

  const etcd = await EtcdTestServer.start();
  let server = await SouthboundServer.start({ listen: '127.0.0.1:0', logger: silent });
  const address = server.address;
  const admin = new SouthboundAdminClient({ address });
  const client = new GrpcSouthbound({ address, types: chaosTypes, logger: silent, connectTimeoutMs: 500 });
  const faults: HandlerFaults = { throwNext: 0, hangNext: 0 };
  const controller = createController({
    handlers: [podConfigHandler(faults)],
    southbound: client,
    logger: silent,
    config: {
      eventQueueSize: QUEUE_SIZE,
      handlerTimeout: 200,
      delayAfterErrorHealing: 100,
      maxHealingBackoff: 1000,
      delayRetry: 100,
      delayLocalResync: 1000,
      remoteDBProbingInterval: 300,
    },
  });
  let wentFatal: string | undefined;
  const fatalWatch = controller.actor.subscribe(() => {
    const health = controller.health();
    if (health.state === 'fatal') wentFatal ??= health.error ?? 'fatal';
  });
  await controller.start();
  const loop = new TrackingLoop(controller);
  const writerStore = new EtcdStore({ endpoints: [etcd.endpoint] });
  const writer = new KubeStateWriter(writerStore, registry());
  let db: OpenedDbWatcher | undefined;

  const restartSouthbound = async (downForMs: number): Promise<void> => {
    await server.stop();
    if (downForMs > 0) await sleep(downForMs);
    server = await SouthboundServer.start({ listen: address, logger: silent });
  };
  const ignoreOutage = (what: string) => (error: unknown) => {
    actions[`${what} failed`] = (actions[`${what} failed`] ?? 0) + 1;
    log(`${what} failed: ${(error as Error).message}`);
  };

  const runAction = async (action: ChaosAction): Promise<void> => {
    switch (action.kind) {
      case 'put pod':
        return writer.putResource('pod', { name: action.pod, namespace: action.namespace }).then(() => undefined, ignoreOutage(action.kind));
      case 'delete pod':
        return writer.deleteResource('pod', action.pod, action.namespace).then(() => undefined, ignoreOutage(action.kind));
      case 'put external config':
        return writer.putExternalConfig(AGENT_LABEL, action.key, { tags: [action.tag] }).then(() => undefined, ignoreOutage(action.kind));
      case 'delete external config':
        return writer.deleteExternalConfig(AGENT_LABEL, action.key).then(() => undefined, ignoreOutage(action.kind));
      case 'kill etcd':
        await etcd.kill();
        await sleep(action.downForMs);
        return etcd.restart();
      case 'restart southbound':
        return restartSouthbound(action.downForMs);
      case 'inject key failure':
        return admin
          .injectFault({ keyPattern: `^cfg/pod/.*/${action.pod}$`, times: action.times, error: 'chaos: the dataplane refuses' })
          .then(() => undefined, ignoreOutage(action.kind));
      case 'handler throws':
        faults.throwNext += action.times;
        return;
      case 'handler hangs':
        faults.hangNext += 1;
        return;
      case 'flood':
        for (let i = 0; i < QUEUE_SIZE * 1.5; i++) {
          try {
            loop.pushEvent(new FloodEvent());
          } catch {
            // refused: counted by the tracking loop
          }
        }
        return;
      case 'pause':
        return sleep(action.ms);
    }
  };

  try {
    db = openDbWatcher({
      eventLoop: loop,
      agentLabel: AGENT_LABEL,
      logger: silent,
      dataDir: join(dir, 'agent'),
      etcdEndpoints: [etcd.endpoint],
      registry: registry(),
      delayLocalResync: 1000,
      remoteDBProbingInterval: 300,
    });
    db.watcher.start();

    const plan = chaosPlan(options.seed, options.steps);
    for (const [index, action] of plan.entries()) {
      actions[action.kind] = (actions[action.kind] ?? 0) + 1;
      await runAction(action);
      if ((index + 1) % 100 === 0) log(`step ${index + 1}/${options.steps}: ${JSON.stringify(controller.health())}`);
    }

    // Quiescence: every fault is lifted; the controller must converge by itself.
    faults.throwNext = 0;
    faults.hangNext = 0;
    if (!etcd.running) await etcd.restart();
    // The admin channel may still be reconnecting to the last southbound instance.
    for (let attempt = 1; attempt <= 5; attempt++) {
      const cleared = await admin.clearFaults().then(() => true, () => false);
      if (cleared) break;
      await sleep(200);
    }
    log('quiescence: waiting for convergence');
    const expected = await derive(etcd.endpoint, dir);
    let differences: string[] = [];
    const deadline = Date.now() + 120_000;
    for (;;) {
      differences = compare(expected, applied(server));
      const health = controller.health();
      if (differences.length === 0 && health.ready && health.state === 'idle') break;
      if (Date.now() > deadline || wentFatal) break;
      await sleep(200);
    }
    let finishedTwice = 0;
    let unfinished = 0;
    for (const count of loop.finishes.values()) {
      if (count > 1) finishedTwice++;
      if (count === 0) unfinished++;
    }
    return {
      seed: options.seed,
      steps: options.steps,
      actions,
      accepted: loop.finishes.size,
      refused: loop.refused,
      finishedTwice,
      unfinished,
      wentFatal,
      differences,
      elapsedMs: Date.now() - began,
    };
  } finally {
    fatalWatch.unsubscribe();
    await controller.close();
    await db?.close();
    await writerStore.close();
    admin.close();
    await client.close();
    await server.stop();
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const codec = new AnyCodec(chaosTypes);

/** What the reference southbound applied, decoded, as key -> JSON. */
function applied(server: SouthboundServer): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const state of server.engine.dump()) {
    if (!state.applied) continue;
    const message = codec.unpack(state.applied);
    if (message) out.set(state.key, json(message));
  }
  return out;
}

function compare(expected: Map<string, unknown>, actual: Map<string, unknown>): string[] {
  const differences: string[] = [];
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const want = JSON.stringify(expected.get(key));
    const have = JSON.stringify(actual.get(key));
    if (want !== have) differences.push(`${key}: expected ${want ?? 'nothing'}, southbound has ${have ?? 'nothing'}`);
  }
  return differences.sort();
}
