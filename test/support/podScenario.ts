/**
 * Random pod and external-config scenarios for property tests: the commands, their failures,
 * and `World`, the test's own account of the kube state and the external config.
 */
import fc from 'fast-check';
import type { Controller } from '../../src/controller';
import type { Event } from '../../src/api/event';
import { DBResync, ExternalConfigChange, KubeStateChange } from '../../src/api/events';
import type { KeyValuePairs, ProtoMessage } from '../../src/api/types';
import { pod, value, type ValueFields } from './messages';
import { POD_RESOURCE, namespaceKey, podKey, type PodFields } from './modelPodConfig';

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
export interface SouthboundFailure {
  prefix: 'cfg/pod/' | 'cfg/ns/' | 'cfg/';
  times: number;
}

export interface Failures {
  /** The handler that throws a plain Error for this event. */
  handler: 'pods' | 'namespaces' | null;
  southbound: SouthboundFailure | null;
}

export type Command = Failures &
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
export const command: fc.Arbitrary<Command> = fc.oneof(
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
export const scenario = fc.record({
  initial: fc.record(snapshot),
  commands: fc.array(command, { minLength: 1, maxLength: 12 }),
  delayAfterErrorHealing: fc.integer({ min: 1, max: 20 }),
});

/** The test's own account of the kube state and the external config, event after event. */
export class World {
  readonly pods = new Map<string, PodFields>();
  readonly external = new Map<string, ProtoMessage>();

  resync(pods: readonly PodFields[], external: readonly [string, number][]): DBResync {
    this.pods.clear();
    this.external.clear();
    for (const p of pods) this.pods.set(p.name, p);
    for (const [key, index] of external) this.external.set(key, value(EXTERNAL_VALUES[index]));
    return this.currentResync();
  }

  /** A DBResync of the world as it is now. */
  currentResync(): DBResync {
    const kubeValues: KeyValuePairs = new Map();
    for (const p of this.pods.values()) kubeValues.set(p.name, pod(p.name, p.namespace, p.ip));
    return new DBResync({ kubeState: new Map([[POD_RESOURCE, kubeValues]]), externalConfig: new Map(this.external) });
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


export type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** Idle, nothing queued, no healing scheduled or queued. */
export function quiet(controller: Controller): boolean {
  const state = controller.actor.getSnapshot().value as { running?: { loop: string; healing: string } };
  const depths = controller.queueDepths();
  return state.running?.loop === 'idle' && state.running.healing === 'clear' && depths.main + depths.followUp + depths.delayed === 0;
}
