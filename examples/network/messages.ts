import { join } from 'node:path';
import { Root, type Type } from 'protobufjs';
import type { ProtoMessage } from '../../src';
import { packageRoot } from '../../src/packageRoot';
import { flatString } from './flatString';

/**
 * The southbound messages of the network handlers, loaded from proto/network.proto. Loaded from
 * the package root, not __dirname: this file also runs from dist/examples/network, and tsc does
 * not copy .proto files.
 */
export const networkTypes: Root = new Root().loadSync(join(packageRoot(), 'examples', 'network', 'proto', 'network.proto'));
networkTypes.resolveAll();

const PACKAGE = 'contivctl.example.network';
export const InterfaceType: Type = networkTypes.lookupType(`${PACKAGE}.Interface`);
export const VrfTableType: Type = networkTypes.lookupType(`${PACKAGE}.VrfTable`);
export const ArpEntryType: Type = networkTypes.lookupType(`${PACKAGE}.ARPEntry`);
export const RouteType: Type = networkTypes.lookupType(`${PACKAGE}.Route`);
export const Nat44GlobalType: Type = networkTypes.lookupType(`${PACKAGE}.Nat44Global`);
export const DNat44Type: Type = networkTypes.lookupType(`${PACKAGE}.DNat44`);

/** Resource keywords of the kube state (the DB watcher's built-in registry). */
export const POD = 'pod';
export const SERVICE = 'service';
export const ENDPOINTS = 'endpoints';

/**
 * The fields of the built-in kube messages (src/dbwatcher/proto: pod.Pod, service.Service,
 * endpoints.Endpoints, the original reflector's models) that the handlers read, by protobufjs'
 * names (`ip_address` in the .proto and in etcd is `ipAddress` here).
 */
export interface PodFields {
  name: string;
  namespace: string;
  ipAddress: string;
}

export interface ServicePortFields {
  name: string;
  protocol: string;
  port: number;
  targetPort?: { type: string; intVal: number; stringVal: string };
}

export interface ServiceFields {
  name: string;
  namespace: string;
  port: ServicePortFields[];
  clusterIp: string;
}

export interface EndpointAddressFields {
  ip: string;
  nodeName: string;
}

export interface EndpointsFields {
  name: string;
  namespace: string;
  endpointSubsets: {
    addresses: EndpointAddressFields[];
    ports: { name: string; port: number; protocol: string }[];
  }[];
}

export interface InterfaceFields {
  name: string;
  mtu: number;
  vrf: number;
  ipAddresses: string[];
}

/**
 * The fields of a message, read in place: a typed view, not a copy. protobufjs keeps each field
 * as a property (unset ones read their default from the prototype), so strings, numbers, booleans,
 * repeated fields and nested messages of those read as they are; enums stay numbers (the handlers
 * read none). A copy by `toObject` (every field, defaults included) cost a 100,000-pod resync
 * 64 MB of objects held until its end, and the service tables kept a copy of every service and
 * endpoints next to the kube state's own. A view is read only: messages are never changed.
 */
export function viewOf<T>(message: ProtoMessage): T {
  return message as unknown as T;
}

/** `<namespace>/<name>`: how the handlers identify pods and services. */
export function objectId(fields: { name: string; namespace: string }): string {
  return flatString(fields.namespace, '/', fields.name);
}
