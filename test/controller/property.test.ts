/**
 * Property: whatever the events and the failures, once failures stop and the AfterError healing
 * resync has run, the southbound holds exactly what the handlers derive from the final kube state,
 * with the final external config merged over it (step 8 of the semantics page).
 */
import fc from 'fast-check';
import pino from 'pino';
import type { Event } from '../../src/api/event';
import { DBResync, ExternalConfigChange, HealingResync, KubeStateChange } from '../../src/api/events';
import type { EventRecord } from '../../src/api/history';
import type { KeyValuePairs, ProtoMessage } from '../../src/api/types';
import { createController, type Controller } from '../../src/controller';
import { InMemorySouthbound } from '../../src/southbound/memory';
import { jsonMap, pod, value, type ValueFields } from '../support/messages';
import {
  POD_RESOURCE,
  expectedSouthbound,
  namespaceHandler,
  namespaceKey,
  podHandler,
  podKey,
  type FailureScript,
  type PodFields,
} from '../support/modelPodConfig';
import { waitFor } from '../support/waitFor';

const POD_NAMES = ['p0', 'p1', 'p2', 'p3'];
const NAMESPACES = ['ns-a', 'ns-b'];
const IPS = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
/** Overlaps the handlers' keys (pods p0/p1, namespace ns-a) and has one of its own. */
const EXTERNAL_KEYS = [podKey('p0'), podKey('p1'), namespaceKey('ns-a'), 'cfg/extra'];
/** Scalars, repeated fields, maps and nested messages: every rule of protobuf merge. */
const EXTERNAL_VALUES: ValueFields[] = [
  { tags: ['ext'] },
  { n: 7, labels: { owner: 'ext' } },
  { name: 'ext-name', nested: { a: 'x' } },
  { flag: true, tags: ['e1', 'e2'] },
];

/** Southbound keys that fail for `times` operations, from the event they come with on. */
interface SouthboundFailure {
  prefix: 'cfg/pod/' | 'cfg/ns/' | 'cfg/';
  times: number;
}

interface Failures {
  /** The handler that throws a plain Error for this event. */
  handler: 'pods' | 'namespaces' | null;
  southbound: SouthboundFailure | null;
}

type Command = Failures &
  (
    | { kind: 'kube'; pod: string; change: { namespace: string; ip: string } | null }
    | { kind: 'external'; changes: [key: string, valueIndex: number | null][] }
    | { kind: 'resync'; pods: PodFields[]; external: [key: string, valueIndex: number][] }
  );

const podFields = fc.record({
  name: fc.constantFrom(...POD_NAMES),
  namespace: fc.constantFrom(...NAMESPACES),
  ip: fc.constantFrom(...IPS),
});
const valueIndex = fc.nat({ max: EXTERNAL_VALUES.length - 1 });
const externalKey = fc.constantFrom(...EXTERNAL_KEYS);
const snapshot = {
  pods: fc.uniqueArray(podFields, { selector: (p) => p.name, maxLength: POD_NAMES.length }),
  external: fc.uniqueArray(fc.tuple(externalKey, valueIndex), { selector: ([key]) => key, maxLength: EXTERNAL_KEYS.length }),
};
/** `arbitrary` for about one event in `every`, else null. */
function sometimes<T>(arbitrary: fc.Arbitrary<T>, every: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: every - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}
// Rare enough that many runs have no failure at all (pure incremental updates), common enough
// that most runs have some.
const failures = {
  handler: sometimes(fc.constantFrom('pods' as const, 'namespaces' as const), 8),
  southbound: sometimes(
    fc.record({ prefix: fc.constantFrom('cfg/pod/' as const, 'cfg/ns/' as const, 'cfg/' as const), times: fc.integer({ min: 1, max: 3 }) }),
    8,
  ),
};
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('kube' as const),
      pod: fc.constantFrom(...POD_NAMES),
      change: fc.option(fc.record({ namespace: fc.constantFrom(...NAMESPACES), ip: fc.constantFrom(...IPS) }), { freq: 3 }),
      ...failures,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('external' as const),
      changes: fc.array(fc.tuple(externalKey, fc.option(valueIndex, { freq: 3 })), { minLength: 1, maxLength: 2 }),
      ...failures,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resync' as const), ...snapshot, ...failures }) },
);
const scenario = fc.record({
  initial: fc.record(snapshot),
  commands: fc.array(command, { minLength: 1, maxLength: 12 }),
  delayAfterErrorHealing: fc.integer({ min: 1, max: 20 }),
});

/** The test's own account of the kube state and the external config, event after event. */
class World {
  readonly pods = new Map<string, PodFields>();
  readonly external = new Map<string, ProtoMessage>();

  resync(pods: readonly PodFields[], external: readonly [string, number][]): DBResync {
    this.pods.clear();
    this.external.clear();
    const kubeValues: KeyValuePairs = new Map();
    for (const p of pods) {
      this.pods.set(p.name, p);
      kubeValues.set(p.name, pod(p.name, p.namespace, p.ip));
    }
    const externalConfig: KeyValuePairs = new Map();
    for (const [key, index] of external) {
      this.external.set(key, value(EXTERNAL_VALUES[index]));
      externalConfig.set(key, value(EXTERNAL_VALUES[index]));
    }
    return new DBResync({ kubeState: new Map([[POD_RESOURCE, kubeValues]]), externalConfig });
  }

  event(cmd: Command): Event {
    if (cmd.kind === 'resync') return this.resync(cmd.pods, cmd.external);
    if (cmd.kind === 'kube') {
      const prev = this.pods.get(cmd.pod);
      const next = cmd.change && { name: cmd.pod, ...cmd.change };
      if (next) this.pods.set(cmd.pod, next);
      else this.pods.delete(cmd.pod);
      return new KubeStateChange({
        key: cmd.pod,
        resource: POD_RESOURCE,
        prevValue: prev && pod(prev.name, prev.namespace, prev.ip),
        newValue: next && pod(next.name, next.namespace, next.ip),
      });
    }
    const change = new ExternalConfigChange('db');
    for (const [key, index] of cmd.changes) {
      if (index === null) this.external.delete(key);
      else this.external.set(key, value(EXTERNAL_VALUES[index]));
      change.updatedKVs.set(key, index === null ? null : value(EXTERNAL_VALUES[index]));
    }
    return change;
  }
}

function failed(record: EventRecord): boolean {
  return record.txnError !== undefined || record.handlers.some((h) => h.error !== undefined);
}

function isAfterErrorHealing(record: EventRecord): boolean {
  return record.name === HealingResync.eventName && record.description.includes('after error');
}

/** Idle, nothing queued, no healing scheduled or queued. */
function quiet(controller: Controller): boolean {
  const value = controller.actor.getSnapshot().value as { running?: { loop: string; healing: string } };
  const depths = controller.queueDepths();
  return value.running?.loop === 'idle' && value.running.healing === 'clear' && depths.main + depths.followUp + depths.delayed === 0;
}

const stats = { runs: 0, runsWithFailures: 0, runsWithoutFailures: 0, southboundFailures: 0, healings: 0 };

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

async function check(input: Scenario): Promise<void> {
  const southbound = new InMemorySouthbound();
  const world = new World();
  const failuresOf = new WeakMap<Event, Failures>();
  let current: Event | undefined;
  /** Keys the handlers put or deleted for `current`: this transaction's own values. */
  const ownKeys = new Set<string>();

  const script: FailureScript = {
    failingHandler: (event) => failuresOf.get(event)?.handler ?? undefined,
    seen: (event) => {
      if (event === current) return;
      current = event;
      ownKeys.clear();
      const failure = failuresOf.get(event)?.southbound;
      if (failure) {
        southbound.injectFailure({
          // Only keys whose failure the controller must heal (handler keys: this transaction's or
          // the internal config's), never during a healing resync: a healing resync that fails is
          // fatal by design, and a failure of external-only keys is left to southbound retries.
          keys: (key) =>
            key.startsWith(failure.prefix) && !(current instanceof HealingResync) && (ownKeys.has(key) || controller.getConfig(key) !== undefined),
          times: failure.times,
        });
      }
    },
    touched: (key) => ownKeys.add(key),
  };
  const controller = createController({
    handlers: [podHandler(script), namespaceHandler(script)],
    southbound,
    config: { delayAfterErrorHealing: input.delayAfterErrorHealing, enableRetry: false },
    logger: pino({ level: 'silent' }),
  });
  await controller.start();
  try {
    // Pushed at once: the commands wait for the startup resync in the queue, in order.
    controller.pushEvent(world.resync(input.initial.pods, input.initial.external));
    for (const cmd of input.commands) {
      const event = world.event(cmd);
      failuresOf.set(event, { handler: cmd.handler, southbound: cmd.southbound });
      controller.pushEvent(event);
    }
    const pushed = 1 + input.commands.length;
    await waitFor(
      () => controller.eventHistory().filter((r) => r.name !== HealingResync.eventName).length === pushed && quiet(controller),
      'every event processed, and the healing resync (if any) done',
    );

    const records = controller.eventHistory();
    const failures = records.filter(failed);
    const healings = records.filter(isAfterErrorHealing);
    stats.runs++;
    if (failures.length > 0) stats.runsWithFailures++;
    else stats.runsWithoutFailures++;
    stats.southboundFailures += records.filter((r) => r.txnError !== undefined).length;
    stats.healings += healings.length;

    expect(controller.health()).toEqual({ state: 'idle', ready: true, live: true, southboundAvailable: true });
    expect(healings.filter(failed).map((r) => r.seqNum)).toEqual([]);
    if (failures.length > 0) {
      const lastFailure = Math.max(...failures.map((r) => r.seqNum));
      expect({ lastFailure, healedAfter: healings.some((r) => r.seqNum > lastFailure) }).toEqual({ lastFailure, healedAfter: true });
    }
    expect(jsonMap(southbound.applied)).toEqual(jsonMap(expectedSouthbound(world.pods, world.external)));
  } finally {
    await controller.close();
  }
}

describe('controller convergence under random events and failures', () => {
  // Found by this property: events pushed before the first DBResync was processed used to be
  // replayed ahead of a second DBResync pushed before them, whose older snapshot then overwrote
  // the newer change. Push order is kept from the first DBResync on.
  test('a change pushed after a second DBResync, before the first is processed, is applied after that DBResync', async () => {
    const southbound = new InMemorySouthbound();
    const controller = createController({ handlers: [], southbound, logger: pino({ level: 'silent' }) });
    await controller.start();
    try {
      controller.pushEvent(new DBResync());
      controller.pushEvent(new DBResync());
      const change = new ExternalConfigChange('db');
      change.updatedKVs.set('cfg/extra', value({ tags: ['ext'] }));
      controller.pushEvent(change);
      await change.wait();
      await waitFor(() => controller.eventHistory().length === 3 && controller.health().state === 'idle', 'three events processed');
      expect(controller.eventHistory().map((r) => r.name)).toEqual([DBResync.eventName, DBResync.eventName, ExternalConfigChange.eventName]);
      expect(jsonMap(southbound.applied)).toEqual({ 'cfg/extra': { tags: ['ext'] } });
    } finally {
      await controller.close();
    }
  });

  test('after the healing resync the southbound holds the handlers config of the final kube state merged with the final external config', async () => {
    await fc.assert(fc.asyncProperty(scenario, check), { numRuns: 40 });
    // The property is only worth something if failures and healings did happen.
    expect(stats.runs).toBeGreaterThanOrEqual(40);
    expect(stats.runsWithFailures).toBeGreaterThan(0);
    expect(stats.runsWithoutFailures).toBeGreaterThan(0);
    expect(stats.southboundFailures).toBeGreaterThan(0);
    expect(stats.healings).toBeGreaterThan(0);
  });
});
