import type { ProtoMessage } from '../../src/api/types';
import type { GrpcSouthbound } from '../../src/southbound/grpc/client';
import type { SouthboundServer } from '../../src/southbound/agent/server';
import { connect, iface, startServer, txn } from './helpers';

const COUNT = 100_000;

/** Values of about 100 bytes each, so the transaction is ~10 MB: well over gRPC's 4 MiB limit. */
function desiredState(count: number, mtu: number): [string, ProtoMessage][] {
  const values: [string, ProtoMessage][] = [];
  for (let i = 0; i < count; i++) values.push([`config/interface/if-${String(i).padStart(6, '0')}-${'x'.repeat(40)}`, iface(`if-${i}-${'y'.repeat(40)}`, mtu)]);
  return values;
}

describe('100,000-value transactions over gRPC (batched by bytes, default 4 MiB message limit)', () => {
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

  it('applies a 100,000-value FULL resync, re-applies it as a no-op, and dumps it', async () => {
    const values = desiredState(COUNT, 1500);
    let started = Date.now();
    const result = await client.commit(txn(values, { resync: 'full', startup: true }));
    const commitMs = Date.now() - started;
    expect(result.recorded?.values).toHaveLength(COUNT);
    expect(result.recorded?.executed).toHaveLength(COUNT);
    expect(server.stats.batchesReceived).toBeGreaterThan(10);

    started = Date.now();
    const again = await client.commit(txn(values, { resync: 'full' }));
    const noopMs = Date.now() - started;
    expect(again.recorded?.executed).toHaveLength(0);

    started = Date.now();
    const dump = await client.dumpState();
    const dumpMs = Date.now() - started;
    expect(dump).toHaveLength(COUNT);
    expect(dump.every((s) => s.state === 'CONFIGURED')).toBe(true);
    expect(dump[0]?.key < (dump[1]?.key ?? '')).toBe(true);

    // Not assertions on speed (machines differ): the figures are printed for the report.
    process.stdout.write(`100k FULL resync: commit ${commitMs} ms, no-op recommit ${noopMs} ms, dump ${dumpMs} ms\n`);
  });

  it('updates half of them with a 50,000-value FULL resync (deletes and updates)', async () => {
    const values = desiredState(COUNT / 2, 9000);
    const result = await client.commit(txn(values, { resync: 'full' }));
    const ops = result.recorded?.executed ?? [];
    expect(ops.filter((op) => op.operation === 'UPDATE')).toHaveLength(COUNT / 2);
    expect(ops.filter((op) => op.operation === 'DELETE')).toHaveLength(COUNT / 2);
    expect(await client.dumpState('config/interface/if-0000')).toHaveLength(100);
  });
});
