import type { Type } from 'protobufjs';
import { describeThrown } from '../api/errors';
import { KubeStateChange } from '../api/events/kubeStateChange';
import type { KeyValuePairs, KubeStateData, ProtoMessage } from '../api/types';
import { messageFromJson } from '../dbwatcher/jsonCodec';
import { longestPrefixMatch, type ExternalConfigModel, type ResourceRegistry } from '../dbwatcher/registry';
import { TestFixtureError } from './errors';

/** A plain object of a protobuf message: field names as in the .proto file (`ip_address`) or lowerCamel (`ipAddress`). */
export type PlainObject = Readonly<Record<string, unknown>>;

/** A Kubernetes object as plain fields; `name` (and `namespace` for namespaced resources) make its key. */
export type KubeObject = PlainObject & { readonly name: string; readonly namespace?: string };

/** Kubernetes objects by resource keyword: `{ pod: [{ name: 'web', namespace: 'default' }] }`. */
export type KubeObjects = Readonly<Record<string, readonly KubeObject[]>>;

/** Decodes a plain object strictly (unknown fields and wrong JSON types are errors naming the path). */
export function messageOf(type: Type, object: PlainObject, what: string): ProtoMessage {
  try {
    return messageFromJson(type, object);
  } catch (cause) {
    throw new TestFixtureError(`${what} is not a valid ${type.fullName.replace(/^\./, '')}: ${describeThrown(cause)}`, { cause });
  }
}

/**
 * The Kubernetes state a test feeds the controller, kept as the DB watcher keeps it: keys and
 * messages of the registry's resources (the reflector's models and key layout), so that a change
 * carries the right `prevValue` and a resync carries everything.
 */
export class KubeStateFixture {
  private readonly state: KubeStateData = new Map();

  constructor(private readonly registry: ResourceRegistry) {}

  /** The key of an object, relative to the reflector's prefix (`k8s/pod/web/namespace/default`). */
  key(keyword: string, name: string, namespace?: string): string {
    try {
      return this.registry.keyOf(keyword, name, namespace);
    } catch (cause) {
      throw new TestFixtureError(`no key for ${keyword} "${name}": ${describeThrown(cause)}`, { cause });
    }
  }

  /** The message of an object, decoded with the resource's model. */
  message(keyword: string, object: KubeObject): ProtoMessage {
    let type: Type;
    try {
      type = this.registry.get(keyword).type;
    } catch (cause) {
      throw new TestFixtureError(`unknown resource "${keyword}": ${describeThrown(cause)}`, { cause });
    }
    return messageOf(type, object, `${keyword} "${String(object.name)}"`);
  }

  /** Sets objects without events (the content of the startup resync). */
  load(objects: KubeObjects = {}): void {
    for (const [keyword, list] of Object.entries(objects)) for (const object of list) this.values(keyword).set(this.keyOf(keyword, object), this.message(keyword, object));
  }

  /** Adds or replaces an object: the change the DB watcher would push. */
  put(keyword: string, object: KubeObject): KubeStateChange {
    const key = this.keyOf(keyword, object);
    const values = this.values(keyword);
    const newValue = this.message(keyword, object);
    const change = new KubeStateChange({ key, resource: keyword, prevValue: values.get(key), newValue });
    values.set(key, newValue);
    return change;
  }

  /** Removes an object: the change the DB watcher would push. Throws when the test never put it. */
  delete(keyword: string, name: string, namespace?: string): KubeStateChange {
    const key = this.key(keyword, name, namespace);
    const values = this.values(keyword);
    const prevValue = values.get(key);
    if (!prevValue) throw new TestFixtureError(`${keyword} "${key}" is not in the test's kube state`);
    values.delete(key);
    return new KubeStateChange({ key, resource: keyword, prevValue });
  }

  /** A copy of the whole state, as a DBResync carries it. */
  snapshot(): KubeStateData {
    return new Map([...this.state].map(([keyword, values]) => [keyword, new Map(values)]));
  }

  private keyOf(keyword: string, object: KubeObject): string {
    if (typeof object.name !== 'string') throw new TestFixtureError(`a ${keyword} object needs a string "name"`);
    return this.key(keyword, object.name, object.namespace);
  }

  private values(keyword: string): KeyValuePairs {
    let values = this.state.get(keyword);
    if (!values) this.state.set(keyword, (values = new Map()));
    return values;
  }
}

/** How external config values are typed: one protobufjs Type for every key, or a model per key prefix (longest wins). */
export type ExternalConfigTypes = Type | readonly ExternalConfigModel[];

/** The external config of the DB (source "db") a test feeds the controller, as plain objects. */
export class ExternalConfigFixture {
  private readonly values: KeyValuePairs = new Map();

  constructor(private readonly types?: ExternalConfigTypes) {}

  /** The message of a value, decoded with the type of its key. */
  message(key: string, object: PlainObject): ProtoMessage {
    return messageOf(this.typeOf(key), object, `external config "${key}"`);
  }

  /** Messages of a change (`null` deletes); the DB's own values are remembered for later resyncs when `db`. */
  change(values: Readonly<Record<string, PlainObject | null>>, db: boolean): KeyValuePairs {
    const messages: KeyValuePairs = new Map();
    for (const [key, object] of Object.entries(values)) {
      const message = object === null ? null : this.message(key, object);
      messages.set(key, message);
      if (!db) continue;
      if (message) this.values.set(key, message);
      else this.values.delete(key);
    }
    return messages;
  }

  /** A copy of the DB's external config, as a DBResync carries it. */
  snapshot(): KeyValuePairs {
    return new Map(this.values);
  }

  private typeOf(key: string): Type {
    const types = this.types;
    if (!types) throw new TestFixtureError(`external config "${key}" needs a protobufjs Type: give createTestController an externalConfig type`);
    if (!Array.isArray(types)) return types as Type;
    const best = longestPrefixMatch(types as readonly ExternalConfigModel[], key);
    if (!best) throw new TestFixtureError(`no external config model matches "${key}" (prefixes: ${types.map((m) => m.keyPrefix).join(', ')})`);
    return best.type;
  }
}
