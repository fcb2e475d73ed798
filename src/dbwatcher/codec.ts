import { util, type Type } from 'protobufjs';
import type { ProtoMessage } from '../api/types';
import { ValueDecodeError } from './errors';

/**
 * Values are protobuf JSON (what the reflector writes) or protobuf binary. protobufjs only
 * knows the camelCase names it generated, while proto JSON producers may also emit the
 * original snake_case names: both are accepted.
 */

const OPEN_BRACE = 0x7b;

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Renames snake_case fields to protobufjs' names, message by message (map keys are left alone). */
function normalizeFieldNames(type: Type, json: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...json };
  for (const field of type.fieldsArray) {
    field.resolve();
    const snake = snakeCase(field.name);
    if (!(field.name in out) && snake in out) {
      out[field.name] = out[snake];
      delete out[snake];
    }
    const nested = field.resolvedType;
    const value = out[field.name];
    if (!nested || !('fieldsArray' in nested) || value === undefined || value === null) continue;
    const nestedType = nested as Type;
    if (field.map && isPlainObject(value)) {
      out[field.name] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, isPlainObject(v) ? normalizeFieldNames(nestedType, v) : v]),
      );
    } else if (field.repeated && Array.isArray(value)) {
      out[field.name] = value.map((v: unknown) => (isPlainObject(v) ? normalizeFieldNames(nestedType, v) : v));
    } else if (isPlainObject(value)) {
      out[field.name] = normalizeFieldNames(nestedType, value);
    }
  }
  return out;
}

function firstNonSpace(bytes: Uint8Array): number | undefined {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  return undefined;
}

/** A message from a JSON object (either naming style); throws protobufjs' TypeError on a structural mismatch. */
export function messageFromJson(type: Type, json: unknown): ProtoMessage {
  if (!isPlainObject(json)) throw new TypeError(`expected a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  return type.fromObject(normalizeFieldNames(type, json));
}

/** Decodes a stored value: JSON when it starts with "{", else protobuf binary. */
export function decodeValue(key: string, type: Type, bytes: Uint8Array): ProtoMessage {
  try {
    if (firstNonSpace(bytes) === OPEN_BRACE) {
      return messageFromJson(type, JSON.parse(Buffer.from(bytes).toString('utf8')));
    }
    return type.decode(bytes);
  } catch (cause) {
    throw new ValueDecodeError(key, type.fullName, cause);
  }
}

/** Encodes a message the way the reflector does: protobuf JSON (camelCase names, enums by name). */
export function encodeJson(type: Type, message: ProtoMessage): Buffer {
  return Buffer.from(JSON.stringify(type.toObject(message, util.toJSONOptions)), 'utf8');
}

/** Encodes a message as protobuf binary. */
export function encodeBinary(type: Type, message: ProtoMessage): Buffer {
  return Buffer.from(type.encode(message).finish());
}
