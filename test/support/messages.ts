import { Root, type Type } from 'protobufjs';
import type { ProtoMessage } from '../../src/api/types';

/** Message types for tests: a config value with scalar, repeated, map and nested fields. */
const root = Root.fromJSON(({
  nested: {
    test: {
      nested: {
        Nested: { fields: { a: { type: 'string', id: 1 }, b: { type: 'int32', id: 2 } } },
        Value: {
          oneofs: { choice: { oneof: ['left', 'right'] } },
          fields: {
            name: { type: 'string', id: 1 },
            n: { type: 'int32', id: 2 },
            tags: { rule: 'repeated', type: 'string', id: 3 },
            nested: { type: 'Nested', id: 4 },
            labels: { keyType: 'string', type: 'string', id: 5 },
            left: { type: 'string', id: 6 },
            right: { type: 'int32', id: 7 },
            flag: { type: 'bool', id: 8 },
          },
        },
        Pod: { fields: { name: { type: 'string', id: 1 }, namespace: { type: 'string', id: 2 }, ip: { type: 'string', id: 3 } } },
      },
    },
  },
  // protobufjs' INamespace typing has no map-field `keyType`, though fromJSON accepts it.
}) as Parameters<typeof Root.fromJSON>[0]);
root.resolveAll();

export const ValueType: Type = root.lookupType('test.Value');
export const PodType: Type = root.lookupType('test.Pod');

export interface ValueFields {
  name?: string;
  n?: number;
  tags?: string[];
  nested?: { a?: string; b?: number };
  labels?: Record<string, string>;
  left?: string;
  right?: number;
  flag?: boolean;
}

export function value(fields: ValueFields): ProtoMessage {
  return ValueType.fromObject(fields);
}

export function pod(name: string, namespace = 'default', ip = ''): ProtoMessage {
  return PodType.fromObject({ name, namespace, ip });
}

/** Plain JSON of a message, for equality assertions. */
export function json(message: ProtoMessage | null | undefined): unknown {
  return message ? (message as unknown as { toJSON(): unknown }).toJSON() : message;
}

export function jsonMap(values: Map<string, ProtoMessage>): Record<string, unknown> {
  return Object.fromEntries([...values].map(([key, v]) => [key, json(v)]));
}
