import type { KeyValuePairs, ProtoMessage } from '../types';

/** `namespace/name` of a Kubernetes object when it has those fields, else the key. */
export function objectId(key: string, value: ProtoMessage | null | undefined): string {
  const fields = (value ?? {}) as { name?: unknown; namespace?: unknown };
  if (typeof fields.name === 'string' && fields.name !== '') {
    return typeof fields.namespace === 'string' && fields.namespace !== '' ? `${fields.namespace}/${fields.name}` : fields.name;
  }
  return key;
}

/** A compact JSON rendering of a message for descriptions; `nil` when absent. */
export function renderValue(value: ProtoMessage | null | undefined): string {
  if (value === null || value === undefined) return 'nil';
  const withJson = value as { toJSON?: () => unknown };
  return JSON.stringify(typeof withJson.toJSON === 'function' ? withJson.toJSON() : value);
}

export function keyList(values: KeyValuePairs): string {
  return `[${[...values.keys()].join(', ')}]`;
}
