import { Namespace, Root, Type, type ReflectionObject } from 'protobufjs';

/**
 * protobufjs renames fields to camelCase when it parses a .proto file (`ip_address` becomes
 * `ipAddress`), and forgets the name the file gave. The reflector's JSON uses those original
 * names, so files loaded here are parsed a second time keeping the case, and every type
 * remembers, per field, the name its .proto file gave it.
 */

const ORIGINAL_NAMES = new WeakMap<Type, ReadonlyMap<string, string>>();

function typesOf(object: ReflectionObject, out: Type[] = []): Type[] {
  if (object instanceof Type) out.push(object);
  if (object instanceof Namespace) for (const nested of object.nestedArray) typesOf(nested, out);
  return out;
}

/**
 * Loads .proto files like `new Root().loadSync(files)` (camelCase field names in messages),
 * recording the original field names for `originalFieldName`. Throws protobufjs' errors.
 */
export function loadProtoFiles(files: string | string[]): Root {
  const root = new Root().loadSync(files);
  root.resolveAll();
  const original = new Root().loadSync(files, { keepCase: true });
  for (const type of typesOf(root)) {
    const twin = original.lookupType(type.fullName);
    ORIGINAL_NAMES.set(type, new Map(type.fieldsArray.map((field) => [field.name, twin.fieldsById[field.id]?.name ?? field.name])));
  }
  return root;
}

/** The name the .proto file gave a field (`ip_address`); protobufjs' name for types not loaded by `loadProtoFiles`. */
export function originalFieldName(type: Type, fieldName: string): string {
  return ORIGINAL_NAMES.get(type)?.get(fieldName) ?? fieldName;
}

/** protoc's JSON name of a field: every "_x" becomes "X", nothing else changes (`pod_CIDR` -> `podCIDR`). */
export function lowerCamelName(originalName: string): string {
  return originalName.replace(/_+(.?)/g, (_match, next: string) => next.toUpperCase());
}
