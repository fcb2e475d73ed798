import { join } from 'node:path';
import type { Type } from 'protobufjs';
import { packageRoot } from '../packageRoot';
import { KeyLayoutError, ResourceRegistrationError, UnknownResourceError } from './errors';
import { KUBE_STATE_ROOT, objectKey } from './keys';
import { loadProtoFiles } from './protoFiles';

/** One kind of Kubernetes object the reflector stores. */
export interface ResourceDescriptor {
  /** The resource keyword, e.g. "pod"; the first-level key of the kube state. */
  readonly keyword: string;
  /** Key prefix relative to the KSR prefix, ending with "/", e.g. "k8s/pod/". */
  readonly keyPrefix: string;
  /** The protobuf type of the values. */
  readonly type: Type;
  /** Whether keys carry a `/namespace/<namespace>` part. */
  readonly namespaced: boolean;
}

/** A protobuf model of external config values under the agent prefix. */
export interface ExternalConfigModel {
  /** Key prefix relative to the agent prefix, e.g. "config/vpp/v2/interfaces/". */
  readonly keyPrefix: string;
  readonly type: Type;
}

/**
 * Built-in resources of the original reflector: keyword, proto file, message (in the original's
 * protobuf packages), namespaced.
 */
const BUILTIN_RESOURCES: readonly { keyword: string; file: string; message: string; namespaced: boolean }[] = [
  { keyword: 'pod', file: 'pod.proto', message: 'pod.Pod', namespaced: true },
  { keyword: 'namespace', file: 'namespace.proto', message: 'namespace.Namespace', namespaced: false },
  { keyword: 'node', file: 'node.proto', message: 'node.Node', namespaced: false },
  { keyword: 'service', file: 'service.proto', message: 'service.Service', namespaced: true },
  { keyword: 'endpoints', file: 'endpoints.proto', message: 'endpoints.Endpoints', namespaced: true },
  { keyword: 'policy', file: 'policy.proto', message: 'policy.Policy', namespaced: true },
];

/** Where the built-in .proto files are, from the package root (works from src/ and dist/src/). */
export function builtinProtoDir(): string {
  return join(packageRoot(), 'src', 'dbwatcher', 'proto');
}

/** The item whose `keyPrefix` is the longest prefix of `key`. */
export function longestPrefixMatch<T extends { keyPrefix: string }>(items: Iterable<T>, key: string): T | undefined {
  let best: T | undefined;
  for (const item of items) {
    if (key.startsWith(item.keyPrefix) && (!best || item.keyPrefix.length > best.keyPrefix.length)) best = item;
  }
  return best;
}

/**
 * Resource keyword -> key prefix -> protobuf type, for the kube state, plus the models of
 * external config values. Built-in resources come from `withBuiltins()`; users register
 * their own (custom resources) with `register`.
 *
 * ```ts
 * const registry = ResourceRegistry.withBuiltins();
 * const root = protobuf.loadSync('my.proto');
 * registry.register({ keyword: 'vnf', keyPrefix: 'k8s/vnf/', type: root.lookupType('my.Vnf'), namespaced: true });
 * ```
 */
export class ResourceRegistry {
  private readonly resources = new Map<string, ResourceDescriptor>();
  private readonly externalModels = new Map<string, ExternalConfigModel>();

  /** A registry holding pod, namespace, node, service, endpoints and policy. */
  static withBuiltins(): ResourceRegistry {
    const registry = new ResourceRegistry();
    const root = loadProtoFiles(BUILTIN_RESOURCES.map((r) => join(builtinProtoDir(), r.file)));
    for (const r of BUILTIN_RESOURCES) {
      registry.register({
        keyword: r.keyword,
        keyPrefix: `${KUBE_STATE_ROOT}${r.keyword}/`,
        type: root.lookupType(r.message),
        namespaced: r.namespaced,
      });
    }
    return registry;
  }

  /** Adds a resource; its keyword and key prefix must not overlap an existing one. */
  register(resource: ResourceDescriptor): this {
    if (!/^[a-z0-9][a-z0-9.-]*$/i.test(resource.keyword)) {
      throw new ResourceRegistrationError(`invalid resource keyword "${resource.keyword}"`);
    }
    if (!resource.keyPrefix.endsWith('/') || resource.keyPrefix.startsWith('/')) {
      throw new ResourceRegistrationError(`key prefix "${resource.keyPrefix}" must be relative and end with "/"`);
    }
    if (this.resources.has(resource.keyword)) {
      throw new ResourceRegistrationError(`resource "${resource.keyword}" is already registered`);
    }
    for (const other of this.resources.values()) {
      if (other.keyPrefix.startsWith(resource.keyPrefix) || resource.keyPrefix.startsWith(other.keyPrefix)) {
        throw new ResourceRegistrationError(
          `key prefix "${resource.keyPrefix}" of "${resource.keyword}" overlaps "${other.keyPrefix}" of "${other.keyword}"`,
        );
      }
    }
    this.resources.set(resource.keyword, Object.freeze({ ...resource }));
    return this;
  }

  /** Adds a model for external config keys under `keyPrefix` (relative to the agent prefix). */
  registerExternalConfig(model: ExternalConfigModel): this {
    if (this.externalModels.has(model.keyPrefix)) {
      throw new ResourceRegistrationError(`external config prefix "${model.keyPrefix}" is already registered`);
    }
    this.externalModels.set(model.keyPrefix, Object.freeze({ ...model }));
    return this;
  }

  list(): ResourceDescriptor[] {
    return [...this.resources.values()];
  }

  /** The resource of a keyword; throws `UnknownResourceError`. */
  get(keyword: string): ResourceDescriptor {
    const resource = this.resources.get(keyword);
    if (!resource) throw new UnknownResourceError(`keyword "${keyword}" (known: ${[...this.resources.keys()].join(', ')})`);
    return resource;
  }

  /** The resource a kube state key (relative to the KSR prefix) belongs to. */
  resourceForKey(key: string): ResourceDescriptor | undefined {
    return longestPrefixMatch(this.resources.values(), key);
  }

  /** The model of an external config key (relative to the agent prefix); the longest prefix wins. */
  externalModelForKey(key: string): ExternalConfigModel | undefined {
    return longestPrefixMatch(this.externalModels.values(), key);
  }

  /**
   * Checks that a kube state key (relative to the KSR prefix) of `resource` follows the layout:
   * `<prefix><name>/namespace/<namespace>` when namespaced, else `<prefix><name>`.
   * Throws `KeyLayoutError` with the reason.
   */
  checkKey(resource: ResourceDescriptor, key: string): void {
    const rest = key.slice(resource.keyPrefix.length);
    const parts = rest.split('/');
    if (resource.namespaced) {
      if (parts.length !== 3 || parts[1] !== 'namespace' || parts[0] === '' || parts[2] === '') {
        throw new KeyLayoutError(key, `a ${resource.keyword} key must be ${resource.keyPrefix}<name>/namespace/<namespace>`);
      }
    } else if (parts.length !== 1 || parts[0] === '') {
      throw new KeyLayoutError(key, `a ${resource.keyword} key must be ${resource.keyPrefix}<name> (cluster-scoped)`);
    }
  }

  /** The kube state key (relative to the KSR prefix) of one object. */
  keyOf(keyword: string, name: string, namespace?: string): string {
    const resource = this.get(keyword);
    if (resource.namespaced && !namespace) throw new RangeError(`resource "${keyword}" needs a namespace`);
    return objectKey(resource.keyPrefix, name, resource.namespaced ? namespace : undefined);
  }
}
