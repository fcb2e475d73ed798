import { Root, type Type } from 'protobufjs';
import { CustomUpdateEvent, KubeStateChange, type Event, type EventHandler, type ProtoMessage, type UpdateOperations } from '../src';

/** The benchmark's message type, defined in code: the benchmark must not depend on asset paths. */
const root = Root.fromJSON({
  nested: {
    bench: {
      nested: {
        Pod: { fields: { name: { type: 'string', id: 1 }, namespace: { type: 'string', id: 2 }, ipAddress: { type: 'string', id: 3 } } },
      },
    },
  },
});
const PodType: Type = root.lookupType('bench.Pod');

/** Distinct pods the events cycle over: bounds the southbound's state, like a real cluster. */
const POD_COUNT = 1000;

/** A user-defined update whose completion the producer can await (the strict per-event scenario). */
export class BenchUpdate extends CustomUpdateEvent {
  static readonly eventName = 'Bench Update';
  /** Settles when processed, even on error: the benchmark counts processed events; errors are checked separately. */
  readonly processed: Promise<void>;

  constructor(
    readonly key: string,
    readonly value: ProtoMessage,
  ) {
    super({ name: BenchUpdate.eventName });
    this.processed = this.wait().catch(() => undefined);
  }

  override toString(): string {
    return `${BenchUpdate.eventName} ${this.key}`;
  }
}

/** The key and value an event carries, whichever event type it is. */
function payload(event: Event): { key: string; value: ProtoMessage } | undefined {
  if (event instanceof KubeStateChange) return event.newValue ? { key: event.key, value: event.newValue } : undefined;
  if (event instanceof BenchUpdate) return { key: event.key, value: event.value };
  return undefined;
}

/**
 * A handler that does the least a real one does: one put per event under its own prefix, and a
 * change description. Resyncs put nothing (the benchmark's startup resync has an empty state).
 */
export class BenchHandler implements EventHandler {
  constructor(readonly name: string) {}

  handlesEvent(event: Event): boolean {
    return event instanceof KubeStateChange || event instanceof BenchUpdate;
  }
  resync(): void {}
  update(event: Event, txn: UpdateOperations): string {
    const change = payload(event);
    if (!change) return '';
    txn.put(`${this.name}/${change.key}`, change.value);
    return change.key;
  }
  revert(): void {}
}

export function benchHandlers(): BenchHandler[] {
  return [new BenchHandler('bench/a'), new BenchHandler('bench/b'), new BenchHandler('bench/c')];
}

/** Two versions of each pod, so that consecutive events on a key are real updates in the southbound. */
function podVersions(): ProtoMessage[] {
  const messages: ProtoMessage[] = [];
  for (let i = 0; i < 2 * POD_COUNT; i++) {
    const pod = i % POD_COUNT;
    messages.push(PodType.fromObject({ name: `pod-${pod}`, namespace: 'default', ipAddress: `10.${pod >> 8}.${pod & 255}.${i < POD_COUNT ? 2 : 3}` }));
  }
  return messages;
}

const versions = podVersions();

function podKey(i: number): string {
  return `k8s/pod/pod-${i % POD_COUNT}/namespace/default`;
}

/** `count` pod updates as KubeStateChange events; built before timing starts. */
export function kubeStateChanges(count: number): KubeStateChange[] {
  const events: KubeStateChange[] = [];
  for (let i = 0; i < count; i++) {
    events.push(new KubeStateChange({ key: podKey(i), resource: 'pod', newValue: versions[i % versions.length] }));
  }
  return events;
}

/** `count` pod updates as BenchUpdate events (each one awaitable). */
export function benchUpdates(count: number): BenchUpdate[] {
  const events: BenchUpdate[] = [];
  for (let i = 0; i < count; i++) events.push(new BenchUpdate(podKey(i), versions[i % versions.length]));
  return events;
}
