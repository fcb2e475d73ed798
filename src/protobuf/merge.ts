import { Type, type Field } from 'protobufjs/light';
import { InvalidValueError } from '../api/errors';
import type { ProtoMessage } from '../api/types';

/** The reflection type of a protobufjs message; a clear error for anything else. */
export function messageType(value: unknown, what: string): Type {
  const type = typeOf(value);
  if (!(type instanceof Type)) {
    throw new InvalidValueError(`${what} is not a protobufjs message (create it with Type.create, fromObject or decode)`);
  }
  return type;
}

/** Whether `value` is a protobufjs message; `messageType` says why not. */
export function isMessage(value: unknown): boolean {
  return typeOf(value) instanceof Type;
}

function typeOf(value: unknown): unknown {
  return (value as { $type?: unknown } | null | undefined)?.$type;
}

/** A message type's name as people write it (protobufjs prefixes its full names with a dot). */
export function typeName(type: Type): string {
  return type.fullName.replace(/^\./, '');
}

/** A deep copy: encoding and decoding keeps the message's class and copies nested data. */
export function cloneMessage<T extends ProtoMessage>(message: T): T {
  const type = messageType(message, 'value');
  return type.decode(type.encode(message).finish()) as T;
}

function isZero(value: unknown): boolean {
  if (value === 0 || value === '' || value === false) return true;
  if (value instanceof Uint8Array) return value.length === 0;
  const long = value as { low?: unknown; high?: unknown };
  return typeof long === 'object' && long !== null && long.low === 0 && long.high === 0;
}

function hasPresence(field: Field): boolean {
  return field.resolvedType instanceof Type || field.partOf !== null || field.options?.proto3_optional === true;
}

/** Go's proto.Merge rule of a "populated" field: set, and non-zero unless the field tracks presence. */
function isPopulated(message: Record<string, unknown>, field: Field): boolean {
  if (!Object.prototype.hasOwnProperty.call(message, field.name)) return false;
  const value = message[field.name];
  if (value === null || value === undefined) return false;
  if (field.repeated) return (value as unknown[]).length > 0;
  if (field.map) return Object.keys(value as object).length > 0;
  return hasPresence(field) || !isZero(value);
}

function copyValue(field: Field, value: unknown): unknown {
  if (field.resolvedType instanceof Type) return cloneMessage(value as ProtoMessage);
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  return value;
}

/**
 * Merges `source` into `target` in place, with protobuf merge semantics (Go's proto.Merge):
 * populated scalars overwrite, repeated fields append, map entries overwrite per key,
 * nested messages merge recursively, and setting a oneof member clears its siblings.
 */
export function mergeInto(target: ProtoMessage, source: ProtoMessage): void {
  const type = messageType(target, 'merge target');
  const sourceType = messageType(source, 'merge source');
  if (type.fullName !== sourceType.fullName) {
    throw new InvalidValueError(`cannot merge ${typeName(sourceType)} into ${typeName(type)}`);
  }
  const dst = target as unknown as Record<string, unknown>;
  const src = source as unknown as Record<string, unknown>;
  for (const field of type.fieldsArray) {
    field.resolve();
    if (!isPopulated(src, field)) continue;
    const value = src[field.name];
    if (field.map) {
      const entries = { ...((dst[field.name] as Record<string, unknown> | undefined) ?? {}) };
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) entries[k] = copyValue(field, v);
      dst[field.name] = entries;
    } else if (field.repeated) {
      const existing = Object.prototype.hasOwnProperty.call(dst, field.name) ? (dst[field.name] as unknown[]) : [];
      dst[field.name] = [...existing, ...(value as unknown[]).map((v) => copyValue(field, v))];
    } else {
      if (field.partOf) {
        for (const sibling of field.partOf.fieldsArray) if (sibling !== field) delete dst[sibling.name];
      }
      const current = dst[field.name];
      if (field.resolvedType instanceof Type && Object.prototype.hasOwnProperty.call(dst, field.name) && current) {
        mergeInto(current as ProtoMessage, value as ProtoMessage);
      } else {
        dst[field.name] = copyValue(field, value);
      }
    }
  }
}

/** `source` merged over a copy of `base`; neither argument is modified. */
export function mergedCopy(base: ProtoMessage, source: ProtoMessage): ProtoMessage {
  const result = cloneMessage(base);
  mergeInto(result, source);
  return result;
}
