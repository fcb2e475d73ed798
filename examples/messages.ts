import { join } from 'node:path';
import { loadSync, type Type } from 'protobufjs';
import type { ProtoMessage } from '../src';
import { packageRoot } from '../src/packageRoot';

// Loaded from the package root, not __dirname: this file runs from dist/examples, the .proto
// stays in examples/proto (tsc does not copy it).
const root = loadSync(join(packageRoot(), 'examples', 'proto', 'network.proto'));

export const NamespaceType: Type = root.lookupType('example.Namespace');
export const PodType: Type = root.lookupType('example.Pod');
export const VrfTableType: Type = root.lookupType('example.VrfTable');
export const InterfaceType: Type = root.lookupType('example.Interface');
export const RouteType: Type = root.lookupType('example.Route');

/** The fields of the messages, as the handlers read them (protobufjs uses camelCase). */
export interface PodFields {
  name: string;
  namespace: string;
  ipAddress: string;
}

export interface InterfaceFields {
  name: string;
  enabled: boolean;
  vrf: number;
  ipAddresses: string[];
  mtu: number;
}

/** Resource keywords of the kube state, as the DB watcher's registry names them. */
export const NAMESPACE_RESOURCE = 'namespace';
export const POD_RESOURCE = 'pod';

export const keys = {
  namespace: (name: string) => `k8s/namespace/${name}`,
  pod: (name: string, namespace: string) => `k8s/pod/${name}/namespace/${namespace}`,
  vrfTable: (namespace: string) => `config/vpp/v2/vrf-table/${namespace}`,
  podInterface: (pod: string) => `config/vpp/v2/interfaces/${pod}`,
  podRoute: (pod: string) => `config/vpp/v2/route/${pod}`,
};

export function namespaceMessage(name: string): ProtoMessage {
  return NamespaceType.fromObject({ name });
}

export function podMessage(fields: PodFields): ProtoMessage {
  return PodType.fromObject(fields);
}

/** The plain fields of a message (defaults included), for handlers and printing. */
export function fieldsOf<T>(message: ProtoMessage): T {
  return message.$type.toObject(message, { defaults: true, longs: Number }) as T;
}

/** Compact JSON of a message, for logs and the demo's summary. */
export function render(message: ProtoMessage | null | undefined): string {
  return message ? JSON.stringify(message.toJSON()) : 'nil';
}
