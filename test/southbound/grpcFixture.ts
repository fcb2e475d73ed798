import type { Root } from 'protobufjs';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { SouthboundAdminClient } from '../../src/southbound/grpc/adminClient';
import { GrpcSouthbound } from '../../src/southbound/grpc/client';
import { silentLogger } from './helpers';

/**
 * The reference southbound over loopback gRPC, shaped like the controller scenarios'
 * `SouthboundFixture` (test/support/harness.ts), so that they can run once more with it:
 *
 * ```ts
 * SOUTHBOUND_FIXTURES.push(['grpc', () => grpcFixture()]);
 * ```
 */
export interface GrpcFixture {
  readonly kind: 'grpc';
  readonly southbound: GrpcSouthbound;
  readonly server: SouthboundServer;
  readonly admin: SouthboundAdminClient;
  /** The applied state as key -> JSON of the value (values decoded with the types the client packed). */
  applied(): Promise<Record<string, unknown>>;
  /** Makes matching keys fail `times` times (default always); a string is one exact key. Returns the undo. */
  failKeys(keys: RegExp | string, times?: number, error?: string): Promise<() => Promise<void>>;
  /** Restarts the southbound on the same port: a new instance with an empty state. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function grpcFixture(options: { types?: Root } = {}): Promise<GrpcFixture> {
  let server = await SouthboundServer.start({ listen: '127.0.0.1:0', logger: silentLogger });
  const address = server.address;
  const southbound = new GrpcSouthbound({ address, logger: silentLogger, types: options.types, connectTimeoutMs: 2000 });
  const admin = new SouthboundAdminClient({ address });
  return {
    kind: 'grpc',
    southbound,
    get server() {
      return server;
    },
    admin,
    applied: async () => {
      const states = await southbound.dumpState();
      return Object.fromEntries(
        states.flatMap((state) => {
          const message = southbound.unpack(state.applied);
          return message ? [[state.key, (message as unknown as { toJSON(): unknown }).toJSON()]] : [];
        }),
      );
    },
    failKeys: async (keys, times, error) => {
      const keyPattern = typeof keys === 'string' ? `^${keys.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : keys.source;
      const id = await admin.injectFault({ keyPattern, times: times ?? 0, error });
      return () => admin.removeFault(id);
    },
    restart: async () => {
      await server.stop();
      server = await SouthboundServer.start({ listen: address, logger: silentLogger });
    },
    close: async () => {
      admin.close();
      await southbound.close();
      await server.stop();
    },
  };
}
