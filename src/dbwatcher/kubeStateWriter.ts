import { Message, type Type } from 'protobufjs';
import type { ProtoMessage } from '../api/types';
import { encodeBinary, encodeJson } from './codec';
import { JsonShapeError, UnknownFieldError, UnknownResourceError, WriterUsageError } from './errors';
import { messageFromJson } from './jsonCodec';
import { KSR_PREFIX, agentPrefix } from './keys';
import type { ResourceRegistry } from './registry';
import type { KeyValueStore } from './store';

/** How values are written: protobuf JSON like the reflector (default) or protobuf binary. */
export type ValueFormat = 'json' | 'binary';

export interface KubeStateWriterOptions {
  /** Default 'json'. */
  format?: ValueFormat;
  /**
   * Called with the path of each field of a plain-object value that its type does not have;
   * the field is then left out. Without it, such a field is an error (`UnknownFieldError`).
   */
  onUnknownField?: (path: string) => void;
}

/** The result of one write. */
export interface WriteResult {
  /** The full store key. */
  key: string;
  /** The store revision of the write (0 when nothing was written). */
  revision: number;
}

/**
 * Writes Kubernetes resources and external config into a store the way the reflector does,
 * for demos and tests.
 *
 * ```ts
 * const writer = new KubeStateWriter(store, ResourceRegistry.withBuiltins());
 * await writer.putResource('pod', { name: 'web', namespace: 'default', ip_address: '10.1.1.2' });
 * await writer.deleteResource('pod', 'web', 'default');
 * await writer.putExternalConfig('vpp1', 'config/vpp/v2/interfaces/tap1', { name: 'tap1' });
 * ```
 */
export class KubeStateWriter {
  private readonly format: ValueFormat;

  constructor(
    private readonly store: KeyValueStore,
    private readonly registry: ResourceRegistry,
    private readonly options: KubeStateWriterOptions = {},
  ) {
    this.format = options.format ?? 'json';
  }

  private toMessage(type: Type, value: ProtoMessage | Record<string, unknown>): ProtoMessage {
    if (value instanceof Message) {
      if ((value as { $type?: Type }).$type?.fullName !== type.fullName) {
        throw new WriterUsageError(`value is a ${(value as { $type?: Type }).$type?.fullName}, expected ${type.fullName}`);
      }
      return value;
    }
    try {
      return messageFromJson(type, value, { onUnknownField: this.options.onUnknownField });
    } catch (cause) {
      // An unknown field keeps its class: the command line names the flag that allows it.
      if (cause instanceof UnknownFieldError) throw cause;
      if (cause instanceof JsonShapeError) throw new WriterUsageError(`value is not a valid ${type.fullName.replace(/^\./, '')}: ${cause.message}`, { cause });
      throw cause;
    }
  }

  private encode(type: Type, message: ProtoMessage): Buffer {
    return this.format === 'json' ? encodeJson(type, message) : encodeBinary(type, message);
  }

  /** The full store key of a resource object. */
  resourceKey(keyword: string, name: string, namespace?: string): string {
    return KSR_PREFIX + this.registry.keyOf(keyword, name, namespace);
  }

  /** Puts a resource object; its key comes from its `name` and `namespace` fields. */
  async putResource(keyword: string, value: ProtoMessage | Record<string, unknown>): Promise<WriteResult> {
    const resource = this.registry.get(keyword);
    const message = this.toMessage(resource.type, value);
    const { name, namespace } = message as { name?: unknown; namespace?: unknown };
    if (typeof name !== 'string' || name === '') throw new WriterUsageError(`a ${keyword} needs a "name"`);
    const key = this.resourceKey(keyword, name, typeof namespace === 'string' ? namespace : undefined);
    return { key, revision: await this.store.put(key, this.encode(resource.type, message)) };
  }

  /** Deletes a resource object; false when it did not exist. */
  async deleteResource(keyword: string, name: string, namespace?: string): Promise<boolean> {
    return this.store.delete(this.resourceKey(keyword, name, namespace));
  }

  /** Puts one external config value under the agent prefix; needs a registered model for `key`. */
  async putExternalConfig(agentLabel: string, key: string, value: ProtoMessage | Record<string, unknown>): Promise<WriteResult> {
    const model = this.registry.externalModelForKey(key);
    if (!model) throw new UnknownResourceError(`external config key "${key}" (register a model for its prefix)`);
    const storeKey = agentPrefix(agentLabel) + key;
    return { key: storeKey, revision: await this.store.put(storeKey, this.encode(model.type, this.toMessage(model.type, value))) };
  }

  async deleteExternalConfig(agentLabel: string, key: string): Promise<boolean> {
    return this.store.delete(agentPrefix(agentLabel) + key);
  }

  /** Puts bytes as they are (e.g. a malformed value for a test). */
  async putRaw(storeKey: string, value: Buffer | string): Promise<WriteResult> {
    return { key: storeKey, revision: await this.store.put(storeKey, value) };
  }
}
