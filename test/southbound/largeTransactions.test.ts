import type { ProtoMessage } from '../../src/api/types';
import type { GrpcSouthbound } from '../../src/southbound/grpc/client';
import type { SouthboundServer } from '../../src/southbound/agent/server';
import { connect, iface, startServer, txn } from './helpers';

/** Enough values of ~160 bytes to be ~5 MB: well over gRPC's 4 MiB message limit, and seconds at most. */
const COUNT = 30_000;

function desiredState(count: number, mtu: number): [string, ProtoMessage][] {
  const values: [string, ProtoMessage][] = [];
  for (let i = 0; i < count; i++) values.push([`config/interface/if-${String(i).padStart(6, '0')}-${'x'.repeat(40)}`, iface(`if-${i}-${'y'.repeat(40)}`, mtu)]);
  return values;
}

describe(`${COUNT.toLocaleString('en-US')}-value transactions over gRPC (parts of ~1 MiB, default 4 MiB message limit)`, () => {
  let server: SouthboundServer;
  let client: GrpcSouthbound;

  beforeAll(async () => {
    server = await startServer();
    client = connect(server);
  });
  afterAll(async () => {
    await client.close();
    await server.stop();
  });

  it('applies a FULL resync sent in parts, with its recorded transaction; re-applies it as a no-op; dumps it sorted', async () => {
    const values = desiredState(COUNT, 1500);
    const result = await client.commit(txn(values, { resync: 'full', startup: true }));
    expect(server.stats.partsReceived).toBeGreaterThan(3);
    expect(result.recorded?.values).toHaveLength(COUNT);
    expect(result.recorded?.executed).toHaveLength(COUNT);
    // The values come back rendered from what the client sent (they do not travel back).
    expect(result.recorded?.executed[COUNT - 1]).toMatchObject({ operation: 'CREATE', newState: 'CONFIGURED', newValue: { name: `if-${COUNT - 1}-${'y'.repeat(40)}`, mtu: 1500 } });

    const again = await client.commit(txn(values, { resync: 'full' }));
    expect(again.recorded?.executed).toHaveLength(0);

    const dump = await client.dumpState();
    expect(dump).toHaveLength(COUNT);
    expect(dump.every((s) => s.state === 'CONFIGURED')).toBe(true);
    expect(dump[0]?.key < (dump[1]?.key ?? '')).toBe(true);
  });

  it('replaces it with half of it changed: a FULL resync of updates and deletes, previous values recorded', async () => {
    const values = desiredState(COUNT / 2, 9000);
    const result = await client.commit(txn(values, { resync: 'full' }));
    const ops = result.recorded?.executed ?? [];
    expect(ops.filter((op) => op.operation === 'UPDATE')).toHaveLength(COUNT / 2);
    expect(ops.filter((op) => op.operation === 'DELETE')).toHaveLength(COUNT / 2);
    expect(ops.find((op) => op.operation === 'UPDATE')).toMatchObject({ prevValue: { mtu: 1500 }, newValue: { mtu: 9000 } });
    expect(await client.dumpState('config/interface/if-0000')).toHaveLength(100);
  });
});
