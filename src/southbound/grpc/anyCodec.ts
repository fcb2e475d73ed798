import type { Root, Type } from 'protobufjs';
import { InvalidValueError } from '../../api/errors';
import type { ProtoMessage } from '../../api/types';
import type { PackedValue } from './model';

const TYPE_URL_PREFIX = 'type.googleapis.com/';

/**
 * Packs protobufjs messages into google.protobuf.Any and renders packed values as JSON. It
 * remembers the type of everything it packed, so it can render what comes back (recorded
 * transactions) without a registry; `types` adds a registry for other values.
 */
export class AnyCodec {
  private readonly known = new Map<string, Type>();
  private readonly typeUrls = new Map<Type, string>();

  constructor(private readonly types?: Root) {}

  /** Packs a message from the protobufjs type it carries (`$type`). */
  pack(key: string, message: ProtoMessage): PackedValue {
    const typeUrl = this.typeUrlOf(key, message);
    return { type_url: typeUrl, value: message.$type.encode(message).finish() };
  }

  /**
   * The type URL of the protobufjs type a message carries (`$type`), which is remembered for
   * rendering; InvalidValueError for a value that is not a protobufjs message. Asked for every
   * value of every commit: a Map lookup, nothing allocated.
   */
  typeUrlOf(key: string, message: ProtoMessage): string {
    const type: unknown = (message as { $type?: unknown }).$type;
    let typeUrl = this.typeUrls.get(type as Type);
    if (typeUrl !== undefined) return typeUrl;
    if (!isType(type)) {
      throw new InvalidValueError(
        `value of key "${key}" is not a protobufjs message (it has no $type): create it with Type.create/fromObject/decode`,
      );
    }
    typeUrl = TYPE_URL_PREFIX + type.fullName.replace(/^\./, '');
    this.typeUrls.set(type, typeUrl);
    if (!this.known.has(typeUrl)) this.known.set(typeUrl, type);
    return typeUrl;
  }

  /** Decodes a packed value into a message when its type is known. */
  unpack(value: PackedValue): ProtoMessage | undefined {
    const type = this.typeOf(value.type_url);
    return type ? type.decode(value.value) : undefined;
  }

  /** A JSON rendering for humans and the REST history: the message as JSON with its `@type`. */
  toJson(value: PackedValue | undefined): unknown {
    if (!value) return undefined;
    const type = this.typeOf(value.type_url);
    if (!type) return { '@type': value.type_url, value: Buffer.from(value.value).toString('base64') };
    try {
      const object = type.toObject(type.decode(value.value), { longs: String, enums: String, bytes: String, json: true });
      return { '@type': value.type_url, ...object };
    } catch (error) {
      return { '@type': value.type_url, error: `undecodable value: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  private typeOf(typeUrl: string): Type | undefined {
    const known = this.known.get(typeUrl);
    if (known || !this.types) return known;
    const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
    try {
      const type = this.types.lookupType(name);
      this.known.set(typeUrl, type);
      return type;
    } catch {
      return undefined;
    }
  }
}

function isType(value: unknown): value is Type {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { encode?: unknown }).encode === 'function' &&
    typeof (value as { fullName?: unknown }).fullName === 'string'
  );
}
