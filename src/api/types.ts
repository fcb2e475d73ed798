import type { Message } from 'protobufjs';

/** A protobufjs message instance (created by `Type.create`, `fromObject` or `decode`). */
export type ProtoMessage = Message<object>;

/** Key -> value; `null` stands for "absent" (a delete where a change is meant). */
export type KeyValuePairs = Map<string, ProtoMessage | null>;

/** Kubernetes state: resource keyword -> (key -> value). */
export type KubeStateData = Map<string, KeyValuePairs>;

export function newKubeStateData(): KubeStateData {
  return new Map();
}
