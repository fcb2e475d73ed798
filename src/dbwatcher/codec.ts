import type { Type } from 'protobufjs';
import type { ProtoMessage } from '../api/types';
import { EmptyValueError, ValueDecodeError } from './errors';
import { messageFromJson, messageToJson } from './jsonCodec';

/**
 * Stored values are protobuf JSON as the reflector writes it (see jsonCodec.ts: original or
 * lowerCamel names, strictly checked) or protobuf binary (a value that does not start with "{").
 */

const OPEN_BRACE = 0x7b;

function firstNonSpace(bytes: Uint8Array): number | undefined {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  return undefined;
}

/** Decodes a stored value; throws `ValueDecodeError` naming the key, with the reason as `cause`. */
export function decodeValue(key: string, type: Type, bytes: Uint8Array): ProtoMessage {
  try {
    const first = firstNonSpace(bytes);
    if (first === undefined) throw new EmptyValueError();
    if (first === OPEN_BRACE) return messageFromJson(type, JSON.parse(Buffer.from(bytes).toString('utf8')));
    return type.decode(bytes);
  } catch (cause) {
    throw new ValueDecodeError(key, type.fullName, cause);
  }
}

/** Encodes a message the way the reflector does: jsonpb with original names, enums by name, no defaults, no whitespace. */
export function encodeJson(type: Type, message: ProtoMessage): Buffer {
  return Buffer.from(JSON.stringify(messageToJson(type, message)), 'utf8');
}

/** Encodes a message as protobuf binary. */
export function encodeBinary(type: Type, message: ProtoMessage): Buffer {
  return Buffer.from(type.encode(message).finish());
}
