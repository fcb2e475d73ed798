import type { Event } from '../../src/api/event';
import { KubeStateChange } from '../../src/api/events';
import type { EventHandler } from '../../src/api/handler';
import type { ResyncOperations, UpdateOperations } from '../../src/api/transaction';
import type { KubeStateData, ProtoMessage } from '../../src/api/types';
import { mergedCopy } from '../../src/protobuf/merge';
import { value } from './messages';

/** A pod as the tests' kube state holds it (the test.Pod message, as plain fields). */
export interface PodFields {
  name: string;
  namespace: string;
  ip: string;
}

export const POD_RESOURCE = 'pod';

export function podKey(name: string): string {
  return `cfg/pod/${name}`;
}

export function namespaceKey(namespace: string): string {
  return `cfg/ns/${namespace}`;
}

/** Handler A's value for one pod. */
export function podConfig(pod: PodFields): ProtoMessage {
  return value({ name: pod.name, tags: [pod.ip], labels: { namespace: pod.namespace } });
}

/** Handler B's aggregate for one namespace: how many pods, and their names. */
export function namespaceConfig(namespace: string, podNames: readonly string[]): ProtoMessage {
  return value({ name: namespace, n: podNames.length, tags: [...podNames].sort() });
}

function fieldsOf(message: ProtoMessage): PodFields {
  const { name = '', namespace = '', ip = '' } = message as unknown as Partial<PodFields>;
  return { name, namespace, ip };
}

/** The pods of a kube state, by name. */
export function podsOf(kubeState: KubeStateData): Map<string, PodFields> {
  const pods = new Map<string, PodFields>();
  for (const message of kubeState.get(POD_RESOURCE)?.values() ?? []) {
    if (message) {
      const pod = fieldsOf(message);
      pods.set(pod.name, pod);
    }
  }
  return pods;
}

/** What handlers A and B produce, in total, for a set of pods. */
export function handlerConfig(pods: ReadonlyMap<string, PodFields>): Map<string, ProtoMessage> {
  const config = new Map<string, ProtoMessage>();
  const byNamespace = new Map<string, string[]>();
  for (const pod of pods.values()) {
    config.set(podKey(pod.name), podConfig(pod));
    byNamespace.set(pod.namespace, [...(byNamespace.get(pod.namespace) ?? []), pod.name]);
  }
  for (const [namespace, names] of byNamespace) config.set(namespaceKey(namespace), namespaceConfig(namespace, names));
  return config;
}

/**
 * What the southbound should hold (step 8 of the semantics page, with one external source):
 * each handler value with the external value merged over it (protobuf merge), else the external
 * value as is.
 */
export function expectedSouthbound(pods: ReadonlyMap<string, PodFields>, external: ReadonlyMap<string, ProtoMessage>): Map<string, ProtoMessage> {
  const expected = handlerConfig(pods);
  for (const [key, externalValue] of external) {
    const own = expected.get(key);
    expected.set(key, own ? mergedCopy(own, externalValue) : externalValue);
  }
  return expected;
}

/** Lets a test make a handler throw a plain (non-fatal) Error for chosen events. */
export interface FailureScript {
  /** The handler (by name) that throws for this event, if any. */
  failingHandler(event: Event): string | undefined;
  /** Called for every handler call on `event`, before the handler does anything. */
  seen?(event: Event): void;
  /** Called with every key a handler puts or deletes for the event being processed. */
  touched?(key: string): void;
}

function check(name: string, event: Event, script: FailureScript): void {
  script.seen?.(event);
  if (script.failingHandler(event) === name) throw new Error(`${name}: scripted failure`);
}

/** Handler A: one value per pod, `cfg/pod/<name>`. */
export function podHandler(script: FailureScript): EventHandler {
  const name = 'pods';
  const put = (txn: ResyncOperations, key: string, message: ProtoMessage) => {
    script.touched?.(key);
    txn.put(key, message);
  };
  return {
    name,
    handlesEvent: (event) => {
      script.seen?.(event);
      return true;
    },
    resync: (event, kubeState, _count, txn) => {
      check(name, event, script);
      for (const pod of podsOf(kubeState).values()) put(txn, podKey(pod.name), podConfig(pod));
    },
    update: (event: Event, txn: UpdateOperations) => {
      check(name, event, script);
      if (!(event instanceof KubeStateChange) || event.resource !== POD_RESOURCE) return '';
      if (event.newValue) {
        const pod = fieldsOf(event.newValue);
        put(txn, podKey(pod.name), podConfig(pod));
        return `put ${podKey(pod.name)}`;
      }
      script.touched?.(podKey(event.key));
      txn.delete(podKey(event.key));
      return `deleted ${podKey(event.key)}`;
    },
    revert: () => undefined,
  };
}

/**
 * Handler B: one aggregate per namespace, `cfg/ns/<namespace>`. It keeps its own view of the pods,
 * as handlers of the original do; a failed update leaves that view stale until the next resync.
 */
export function namespaceHandler(script: FailureScript): EventHandler {
  const name = 'namespaces';
  let view = new Map<string, PodFields>();
  const write = (txn: UpdateOperations | ResyncOperations, namespace: string) => {
    const names = [...view.values()].filter((pod) => pod.namespace === namespace).map((pod) => pod.name);
    script.touched?.(namespaceKey(namespace));
    if (names.length > 0) txn.put(namespaceKey(namespace), namespaceConfig(namespace, names));
    else (txn as UpdateOperations).delete(namespaceKey(namespace));
  };
  return {
    name,
    handlesEvent: (event) => {
      script.seen?.(event);
      return true;
    },
    resync: (event, kubeState, _count, txn) => {
      check(name, event, script);
      view = podsOf(kubeState);
      for (const namespace of new Set([...view.values()].map((pod) => pod.namespace))) write(txn, namespace);
    },
    update: (event: Event, txn: UpdateOperations) => {
      check(name, event, script);
      if (!(event instanceof KubeStateChange) || event.resource !== POD_RESOURCE) return '';
      const before = view.get(event.key)?.namespace;
      if (event.newValue) view.set(event.key, fieldsOf(event.newValue));
      else view.delete(event.key);
      const after = view.get(event.key)?.namespace;
      for (const namespace of new Set([before, after])) if (namespace !== undefined) write(txn, namespace);
      return '';
    },
    revert: () => undefined,
  };
}
