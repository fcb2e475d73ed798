import type { ProtoMessage } from '../api/types';
import { decodeValue } from './codec';
import { UnknownResourceError } from './errors';
import { KSR_PREFIX, agentPrefix, stripPrefix } from './keys';
import type { ResourceRegistry } from './registry';

/** Where a store key belongs, for the watcher. */
export type KeyTarget =
  /** Kube state: `key` is relative to the KSR prefix. */
  | { readonly kind: 'kube'; readonly key: string; readonly resource: string }
  /** External config: `key` is the suffix after the agent prefix. */
  | { readonly kind: 'external'; readonly key: string }
  /** Under a watched prefix but of no registered resource (e.g. the reflector's own keys). */
  | { readonly kind: 'ignored' };

/** Maps store keys to kube state / external config, and decodes their values with the registry. */
export class StoreKeyDecoder {
  readonly agentPrefix: string;

  constructor(
    private readonly registry: ResourceRegistry,
    agentLabel: string,
  ) {
    this.agentPrefix = agentPrefix(agentLabel);
  }

  /** The store prefixes the watcher lists and watches. */
  prefixes(): string[] {
    return [KSR_PREFIX, this.agentPrefix];
  }

  classify(storeKey: string): KeyTarget {
    const kubeKey = stripPrefix(storeKey, KSR_PREFIX);
    if (kubeKey !== undefined) {
      const resource = this.registry.resourceForKey(kubeKey);
      return resource ? { kind: 'kube', key: kubeKey, resource: resource.keyword } : { kind: 'ignored' };
    }
    const externalKey = stripPrefix(storeKey, this.agentPrefix);
    return externalKey !== undefined && externalKey !== '' ? { kind: 'external', key: externalKey } : { kind: 'ignored' };
  }

  /**
   * Decodes a value of a kube or external key. Throws a `BadKeyError` (`KeyLayoutError`: the
   * key does not follow the layout; `ValueDecodeError`: the value does not decode), or
   * `UnknownResourceError` for an external key without a model.
   */
  decode(storeKey: string, target: KeyTarget, bytes: Uint8Array): ProtoMessage {
    if (target.kind === 'kube') {
      const resource = this.registry.get(target.resource);
      this.registry.checkKey(resource, target.key);
      return decodeValue(storeKey, resource.type, bytes);
    }
    if (target.kind === 'external') {
      const model = this.registry.externalModelForKey(target.key);
      if (!model) throw new UnknownResourceError(`external config key "${target.key}"`);
      return decodeValue(storeKey, model.type, bytes);
    }
    throw new UnknownResourceError(`key "${storeKey}"`);
  }
}
