import pino from 'pino';
import * as protobuf from 'protobufjs';
import { GrpcSouthbound, type GrpcSouthboundOptions } from '../../src/southbound/grpc/client';
import { SouthboundServer, type SouthboundServerOptions } from '../../src/southbound/agent/server';
import type { CommitRequest } from '../../src/api/southbound';
import type { ProtoMessage } from '../../src/api/types';

export const silentLogger = pino({ level: 'silent' });

/** Test value types, as a handler would define them. */
export const testTypes = protobuf.Root.fromJSON({
  nested: {
    test: {
      nested: {
        Interface: { fields: { name: { type: 'string', id: 1 }, mtu: { type: 'uint32', id: 2 }, ip: { type: 'string', id: 3 } } },
        Route: { fields: { dst: { type: 'string', id: 1 }, iface: { type: 'string', id: 2 } } },
      },
    },
  },
});
export const Interface = testTypes.lookupType('test.Interface');
const Route = testTypes.lookupType('test.Route');

export function iface(name: string, mtu = 1500): ProtoMessage {
  return Interface.create({ name, mtu, ip: `10.0.0.1/24` });
}

export function route(dst: string, ifaceName: string): ProtoMessage {
  return Route.create({ dst, iface: ifaceName });
}

/** Route keys depend on the key of their interface. */
export const routeRules = [{ key: '^config/route/(?<iface>[^/]+)/', dependsOn: ['config/interface/$<iface>'] }];

export function txn(values: Iterable<[string, ProtoMessage | null]>, extra: Partial<CommitRequest> = {}): CommitRequest {
  return { description: 'test', values: new Map(values), revertOnFailure: false, ...extra };
}

export async function startServer(options: SouthboundServerOptions = {}): Promise<SouthboundServer> {
  return SouthboundServer.start({ listen: '127.0.0.1:0', logger: silentLogger, ...options });
}

export function connect(server: SouthboundServer, options: Partial<GrpcSouthboundOptions> = {}): GrpcSouthbound {
  return new GrpcSouthbound({ address: server.address, logger: silentLogger, types: testTypes, ...options });
}

/** The testing kit's waitFor: the one the project's tests use. */
export { waitFor } from '../../src/testing/waitFor';

/** key -> state of every value the southbound holds. */
export async function states(client: GrpcSouthbound, prefix = ''): Promise<Record<string, string>> {
  const dump = await client.dumpState(prefix);
  return Object.fromEntries(dump.map((s) => [s.key, s.state]));
}
