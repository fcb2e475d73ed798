import { TransactionError } from '../../src/api/errors';
import type { RecordedTransaction } from '../../src/api/southbound';
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
    // The answer names the values by number (keys would be most of it); the client puts the keys back.
    expect(result.recorded?.executed.map((op) => op.key)).toEqual(values.map(([key]) => key));

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

  // After the FULL resyncs above, which would delete its keys; on the same server.
  describe('the recorded transaction of a big commit (kept as the request, not as the parts sent)', () => {
    /** A put, a delete of an existing key and a value over the protocol's bound, under `prefix`, plus `filler` more puts. */
    async function commitUnder(prefix: string, filler: number): Promise<RecordedTransaction | undefined> {
      await client.commit(txn([[`${prefix}/gone`, iface('gone')]]));
      const values: [string, ProtoMessage | null][] = [
        [`${prefix}/kept`, iface('kept', 9000)],
        [`${prefix}/gone`, null],
        [`${prefix}/huge`, iface('h'.repeat(4 * 1024 * 1024))],
      ];
      for (let i = 0; i < filler; i++) values.push([`${prefix}/filler-${i}`, iface(`filler-${i}`)]);
      const failed: unknown = await client.commit(txn(values, { description: `commit of ${prefix}` })).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(TransactionError);
      return (failed as TransactionError).recorded;
    }

    /** The fields of the recorded transaction for the first three keys, with the prefix taken out. */
    function rendered(recorded: RecordedTransaction | undefined, prefix: string): unknown {
      const own = (key: string): boolean => !key.includes('/filler-');
      const strip = <T extends { key: string }>(item: T): T => ({ ...item, key: item.key.slice(prefix.length) });
      return {
        description: recorded?.description.replace(prefix, '<prefix>'),
        values: recorded?.values.filter((v) => own(v.key)).map(strip),
        executed: recorded?.executed.filter((op) => own(op.key)).map(strip),
      };
    }

    it('renders the same description, values and operations as a small commit, not-sent values included', async () => {
      const small = await commitUnder('small', 0);
      const big = await commitUnder('large', 5000);
      expect(big?.values).toHaveLength(5003);
      expect(rendered(big, 'large')).toEqual(rendered(small, 'small'));
      expect(rendered(small, 'small')).toMatchObject({
        description: 'commit of <prefix>',
        values: [
          { key: '/kept', value: { '@type': 'type.googleapis.com/test.Interface', name: 'kept', mtu: 9000 } },
          { key: '/gone', value: undefined },
          { key: '/huge', value: { '@type': 'type.googleapis.com/test.Interface', error: expect.stringContaining('not sent') } },
        ],
      });
      expect(big?.executed.find((op) => op.key === 'large/filler-4999')).toMatchObject({ operation: 'CREATE', newValue: { name: 'filler-4999', mtu: 1500 } });
    });
  });
});
