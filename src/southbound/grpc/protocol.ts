import { join } from 'node:path';
import { loadSync, type ServiceDefinition } from '@grpc/proto-loader';
import { packageRoot } from '../../packageRoot';
import type {
  WireDriftRequest,
  WireDumpStateResponse,
  WireFaultRule,
  WireGetValueStatusResponse,
  WireRecordedTxnPart,
  WireWatchValueStatusResponse,
} from './wire';

/** The protobuf package of the southbound protocol. */
export const PROTO_PACKAGE = 'contivctl.southbound.v1';

/** Where the protocol's .proto file is, both under ts-jest (src/) and when built (dist/src/). */
export function southboundProtoPath(): string {
  return join(packageRoot(), 'src/southbound/proto/southbound.proto');
}

/** The gRPC services of the protocol, loaded once from the .proto file. */
export interface SouthboundProtocol {
  scheduler: ServiceDefinition;
  admin: ServiceDefinition;
}

let loaded: SouthboundProtocol | undefined;

/**
 * Loads the protocol. 64-bit integers are decoded as decimal strings (`longs: String`): numbers
 * would round sequence numbers above 2^53, and we convert the strings to `bigint` at the edge.
 */
export function loadSouthboundProtocol(): SouthboundProtocol {
  if (loaded) return loaded;
  const definition = loadSync(southboundProtoPath(), {
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const scheduler = definition[`${PROTO_PACKAGE}.KVScheduler`];
  const admin = definition[`${PROTO_PACKAGE}.SouthboundAdmin`];
  if (!isServiceDefinition(scheduler) || !isServiceDefinition(admin)) {
    throw new Error(`${southboundProtoPath()} does not define the ${PROTO_PACKAGE} services`);
  }
  loaded = { scheduler, admin };
  return loaded;
}

function isServiceDefinition(value: unknown): value is ServiceDefinition {
  return typeof value === 'object' && value !== null && !('format' in value) && !('fileDescriptorProtos' in value);
}

/** One RPC of a service: its path and the proto-loader (de)serializers, typed by the wire types. */
export interface RpcMethod<Request, Response> {
  path: string;
  serialize: (request: Request) => Buffer;
  deserialize: (bytes: Buffer) => Response;
}

/**
 * The path and (de)serializers of an RPC. The wire types are asserted here, once: they are
 * written to match the .proto file (src/southbound/grpc/wire.ts).
 */
export function rpcMethod<Request, Response>(service: 'scheduler' | 'admin', name: string): RpcMethod<Request, Response> {
  const definition = loadSouthboundProtocol()[service][name];
  if (!definition) throw new Error(`the southbound protocol has no ${service} method ${name}`);
  return {
    path: definition.path,
    serialize: definition.requestSerialize as unknown as (request: Request) => Buffer,
    deserialize: definition.responseDeserialize as unknown as (bytes: Buffer) => Response,
  };
}

type InstanceResponse = { instanceId: string };

/** The typed RPCs of both services. */
export interface SouthboundRpcs {
  getRecordedTxn: RpcMethod<{ seqNum: string }, WireRecordedTxnPart>;
  dumpState: RpcMethod<{ keyPrefix: string }, WireDumpStateResponse>;
  getValueStatus: RpcMethod<{ key: string }, WireGetValueStatusResponse>;
  watchValueStatus: RpcMethod<{ keyPrefixes: string[] }, WireWatchValueStatusResponse>;
  injectFault: RpcMethod<WireFaultRule, InstanceResponse & { faultId: number }>;
  removeFault: RpcMethod<{ faultId: number }, InstanceResponse>;
  clearFaults: RpcMethod<Record<string, never>, InstanceResponse>;
  drift: RpcMethod<WireDriftRequest, InstanceResponse>;
}

let rpcs: SouthboundRpcs | undefined;

/** The RPCs, loaded on first use (importing the package does not read the .proto file). */
export function southboundRpcs(): SouthboundRpcs {
  rpcs ??= {
    getRecordedTxn: rpcMethod('scheduler', 'GetRecordedTxn'),
    dumpState: rpcMethod('scheduler', 'DumpState'),
    getValueStatus: rpcMethod('scheduler', 'GetValueStatus'),
    watchValueStatus: rpcMethod('scheduler', 'WatchValueStatus'),
    injectFault: rpcMethod('admin', 'InjectFault'),
    removeFault: rpcMethod('admin', 'RemoveFault'),
    clearFaults: rpcMethod('admin', 'ClearFaults'),
    drift: rpcMethod('admin', 'Drift'),
  };
  return rpcs;
}

/** The path of the Session RPC (its messages have a codec of their own: sessionCodec.ts). */
export function sessionPath(): string {
  return rpcMethod('scheduler', 'Session').path;
}
