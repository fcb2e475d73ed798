import { join } from 'node:path';
import { Root, type Type } from 'protobufjs';
import type { ProtoMessage } from '../../src';
import { packageRoot } from '../../src/packageRoot';

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

/** The plain fields of a message, defaults included (enums by name). */
export function fieldsOf<T>(message: ProtoMessage): T {
  return message.$type.toObject(message, { defaults: true, arrays: true, longs: Number, enums: String }) as T;
}

/** `<namespace>/<name>`: how the handlers identify pods and services. */
export function objectId(fields: { name: string; namespace: string }): string {
  return `${fields.namespace}/${fields.name}`;
}
