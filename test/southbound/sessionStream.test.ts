import * as grpc from '@grpc/grpc-js';
import type { SouthboundServer } from '../../src/southbound/agent/server';
import { VALUE_NUMBERS_FROM_OPERATIONS } from '../../src/southbound/agent/sessionResultEncoder';
import { decodeExecuted } from '../../src/southbound/grpc/sessionCodec';
import type { ProtoMessage } from '../../src/api/types';
import type { GrpcSouthbound } from '../../src/southbound/grpc/client';
import { Interface, connect, iface, startServer, txn, waitFor } from './helpers';
import { RawSession, keyValue } from './rawSession';

describe('the Session stream of the reference southbound', () => {
  let server: SouthboundServer;
  let session: RawSession | undefined;

  afterEach(async () => {
    session?.close();
    session = undefined;
    await server.stop();
  });

  it('greets with its instance id, then answers a one-part transaction with its result and executed operations', async () => {
    server = await startServer();
    session = new RawSession(server);
    expect(await session.hello()).toBe(server.engine.instanceId);
    session.send({ txnId: 1, begin: { valueCount: 1, record: true }, values: [keyValue('a', iface('a'))], end: true });
    const result = await session.result(1);
    expect(result.seqNum).toBe(1n);
    expect(decodeExecuted(result.raw).map((op) => [op.key, op.operation, op.newValueAsSent])).toEqual([['a', 1, true]]);
    expect(server.engine.dump().map((s) => s.key)).toEqual(['a']);
  });

  it('applies nothing of a transaction whose session is cut before its end part, even with every value sent', async () => {
    server = await startServer();
    session = new RawSession(server);
    await session.hello();
    session.send({ txnId: 1, begin: { valueCount: 2 }, values: [keyValue('a', iface('a'))] });
    session.send({ txnId: 1, values: [keyValue('b', iface('b'))] });
    await waitFor(() => server.stats.partsReceived === 2, 'both parts to arrive', 15_000);
    session.cancel();
    await waitFor(() => server.stats.txnsDiscarded === 1, 'the server to drop the transaction', 15_000);
    expect(server.stats.commitsApplied).toBe(0);
    expect(server.engine.dump()).toEqual([]);
    expect(server.engine.recordedTxns()).toEqual([]);
  });

  it('drops an open transaction when the client half-closes, and ends the stream normally', async () => {
    server = await startServer();
    session = new RawSession(server);
    session.send({ txnId: 1, begin: { valueCount: 1 }, values: [keyValue('a', iface('a'))] });
    session.halfClose();
    expect((await session.status).code).toBe(grpc.status.OK);
    expect(server.stats.txnsDiscarded).toBe(1);
    expect(server.engine.dump()).toEqual([]);
  });

  it('indexes a FULL resync as its parts arrive: the last value of a key wins, deletes mean nothing, the rest goes', async () => {
    server = await startServer();
    session = new RawSession(server);
    session.send({ txnId: 1, begin: { valueCount: 2 }, values: [keyValue('old', iface('old')), keyValue('a', iface('a', 1000))], end: true });
    await session.result(1);
    session.send({ txnId: 2, begin: { options: { resyncType: 1 }, valueCount: 4, record: true }, values: [keyValue('a', iface('a', 1100)), keyValue('b', iface('b'))] });
    session.send({ txnId: 2, values: [{ key: 'c' }, keyValue('a', iface('a', 1200))], end: true });
    const result = await session.result(2);
    expect(result.keyErrors).toEqual([]);
    const executed = decodeExecuted(result.raw).map((op) => [op.key, op.operation]);
    // Deletes first, then the wanted values in the order of their first appearance.
    expect(executed).toEqual([['old', 3], ['a', 2], ['b', 1]]);
    const applied = server.engine.dump().map((s) => [s.key, s.state, s.desired?.value]);
    expect(applied).toEqual([['a', 'CONFIGURED', keyValue('a', iface('a', 1200)).value.value], ['b', 'CONFIGURED', keyValue('b', iface('b')).value.value]]);
  });

  it('names the values by number in a big answer, only to a client that reads value numbers', async () => {
    server = await startServer();
    session = new RawSession(server);
    const count = VALUE_NUMBERS_FROM_OPERATIONS;
    const values = Array.from({ length: count }, (_, i) => keyValue(`config/interface/if-${i}`, iface(`if-${i}`)));
    const parts = (txnId: number, begin: NonNullable<Parameters<RawSession['send']>[0]['begin']>): void => {
      for (let from = 0; from < count; from += 1000) {
        session?.send({ txnId, begin: from === 0 ? begin : undefined, values: values.slice(from, from + 1000), end: from + 1000 >= count });
      }
    };
    // A FULL resync of the same values twice would execute nothing the second time: a FULL resync, then an update of them all.
    parts(1, { options: { resyncType: 1 }, valueCount: count, record: true, readsValueNumbers: true });
    const numbered = decodeExecuted((await session.result(1)).raw);
    expect(numbered).toHaveLength(count);
    expect(numbered.every((op, i) => op.key === '' && op.valueNumber === i + 1 && op.newValueAsSent)).toBe(true);

    for (let i = 0; i < count; i++) values[i] = keyValue(`config/interface/if-${i}`, iface(`if-${i}`, 9000));
    parts(2, { valueCount: count, record: true });
    const named = decodeExecuted((await session.result(2)).raw);
    expect(named.every((op, i) => op.key === `config/interface/if-${i}` && op.valueNumber === 0 && op.operation === 2)).toBe(true);

    // Below the threshold, keys even for a client that reads numbers.
    session.send({ txnId: 3, begin: { valueCount: 1, record: true, readsValueNumbers: true }, values: [keyValue('a', iface('a'))], end: true });
    expect(decodeExecuted((await session.result(3)).raw).map((op) => [op.key, op.valueNumber])).toEqual([['a', 0]]);
  });

  it('names by number the very value each operation applied, when a key comes more than once', async () => {
    server = await startServer();
    session = new RawSession(server);
    const count = VALUE_NUMBERS_FROM_OPERATIONS;
    const key = (i: number): string => `config/interface/if-${i}`;
    const send = (txnId: number, values: ReturnType<typeof keyValue>[] | { key: string }[], resyncType?: number): void =>
      session?.send({ txnId, begin: { options: resyncType ? { resyncType } : undefined, valueCount: values.length, record: true, readsValueNumbers: true }, values, end: true });

    // A FULL resync whose last entry deletes the first key: a delete means nothing in a resync,
    // the key keeps the value numbered 1 (not the delete's number).
    send(1, [...Array.from({ length: count }, (_, i) => keyValue(key(i), iface(`if-${i}`))), { key: key(0) }], 1);
    const resynced = decodeExecuted((await session.result(1)).raw);
    expect(resynced).toHaveLength(count);
    expect(resynced.every((op, i) => op.valueNumber === i + 1)).toBe(true);

    // An update that sets the first key twice: two operations, each naming its own value.
    send(2, [...Array.from({ length: count }, (_, i) => keyValue(key(i), iface(`if-${i}`, 2000))), keyValue(key(0), iface('if-0', 3000))]);
    const updated = decodeExecuted((await session.result(2)).raw);
    expect(updated).toHaveLength(count + 1);
    expect(updated.map((op) => op.valueNumber)).toEqual([...Array.from({ length: count }, (_, i) => i + 1), count + 1]);
    expect(server.engine.dump().find((s) => s.key === key(0))?.desired?.value).toEqual(keyValue(key(0), iface('if-0', 3000)).value.value);
  });

  it('answers a transaction whose value count does not match its begin with an init error and no sequence number', async () => {
    server = await startServer();
    session = new RawSession(server);
    session.send({ txnId: 7, begin: { valueCount: 2 }, values: [keyValue('a', iface('a'))], end: true });
    const result = await session.result(7);
    expect(result.initError).toMatch(/carried 1 values, its begin announced 2/);
    expect(result.seqNum).toBeUndefined();
    expect(server.engine.dump()).toEqual([]);
  });

  it.each([
    ['a part without its begin', [{ txnId: 1, values: [] }]],
    ['a begin while another transaction is open', [{ txnId: 1, begin: { valueCount: 1 } }, { txnId: 2, begin: { valueCount: 0 }, end: true }]],
    ['a part of another transaction than the open one', [{ txnId: 1, begin: { valueCount: 1 } }, { txnId: 2, values: [], end: true }]],
  ])('ends the session with INVALID_ARGUMENT for %s, applying nothing', async (_what, parts) => {
    server = await startServer();
    session = new RawSession(server);
    for (const part of parts) session.send(part);
    const status = await session.status;
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(server.stats.txnsRefused).toBe(1);
    expect(server.engine.dump()).toEqual([]);
  });

  it('bounds an unfinished transaction by bytes: RESOURCE_EXHAUSTED beyond maxTxnBytes, never holding more', async () => {
    const maxTxnBytes = 64 * 1024;
    server = await startServer({ maxTxnBytes });
    session = new RawSession(server);
    const values = Array.from({ length: 100 }, (_, i) => keyValue(`config/interface/if-${i}`, iface(`if-${i}-${'x'.repeat(200)}`)));
    session.send({ txnId: 1, begin: { valueCount: 1000 } });
    for (let part = 0; part < 10; part++) session.send({ txnId: 1, values });
    const status = await session.status;
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toMatch(/over 65536 bytes \(maxTxnBytes\): nothing of it was applied/);
    expect(server.stats.largestTxnBytes).toBeLessThanOrEqual(maxTxnBytes);
    expect(server.engine.dump()).toEqual([]);

    // The server goes on: a client commits over a new session.
    const client = connect(server);
    try {
      expect((await client.commit(txn([['a', iface('a')]]))).seqNum).toBe(1n);
    } finally {
      await client.close();
    }
  });

  it('bounds an unfinished transaction by time: DEADLINE_EXCEEDED after txnAssemblyTimeoutMs, nothing applied', async () => {
    server = await startServer({ txnAssemblyTimeoutMs: 200 });
    session = new RawSession(server);
    session.send({ txnId: 1, begin: { valueCount: 1 }, values: [keyValue('a', iface('a'))] });
    const status = await session.status;
    expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(status.details).toMatch(/not complete within 200 ms \(txnAssemblyTimeoutMs\)/);
    expect(server.engine.dump()).toEqual([]);
  });

  it('ends its sessions with UNAVAILABLE when it stops, dropping an unfinished transaction', async () => {
    server = await startServer();
    session = new RawSession(server);
    await session.hello();
    session.send({ txnId: 1, begin: { valueCount: 2 }, values: [keyValue('a', iface('a'))] });
    await waitFor(() => server.stats.partsReceived === 1, 'the first part to arrive', 15_000);
    const engine = server.engine;
    await server.stop();
    const status = await session.status;
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
    expect(status.details).toMatch(/shutting down/);
    expect(server.stats.txnsDiscarded).toBe(1);
    expect(engine.recordedTxns()).toEqual([]);
  });

  it('receives a client commit in parts of about maxBatchBytes', async () => {
    server = await startServer();
    const client = connect(server, { maxBatchBytes: 64 * 1024 });
    try {
      const values = Array.from({ length: 5000 }, (_, i): [string, ReturnType<typeof iface>] => [`k/${i}`, iface(`if-${i}`)]);
      await client.commit(txn(values));
      expect(server.stats.partsReceived).toBeGreaterThan(3);
      expect(server.engine.dump()).toHaveLength(5000);
    } finally {
      await client.close();
    }
  });

  it('cuts values of every size into parts without mixing up their bytes; deletes, empty and oversized values between them', async () => {
    server = await startServer();
    const client = connect(server, { maxBatchBytes: 4 * 1024 });
    try {
      const sizes = [0, 1, 7, 100, 1000, 3000, 5000, 20_000, 2, 4090, 64, 65];
      const values: [string, ProtoMessage | null][] = sizes.flatMap((size, i): [string, ProtoMessage | null][] => [
        [`v/${i}`, size === 0 ? Interface.create({}) : iface(String.fromCharCode(97 + i).repeat(size), 1000 + i)],
        [`gone/${i}`, null],
      ]);
      values.push(['v/huge', iface('h'.repeat(4 * 1024 * 1024))]);
      await expect(client.commit(txn(values))).rejects.toMatchObject({ keyErrors: [{ key: 'v/huge' }] });
      expect(server.stats.partsReceived).toBeGreaterThan(5);
      const applied = (await client.dumpState('v/')).filter((state) => state.state === 'CONFIGURED');
      const json = (value: unknown) => (client.unpack(value as Parameters<GrpcSouthbound['unpack']>[0]) as unknown as { toJSON(): unknown }).toJSON();
      expect(Object.fromEntries(applied.map((state) => [state.key, json(state.applied)]))).toEqual(
        Object.fromEntries(values.filter(([key, value]) => key.startsWith('v/') && key !== 'v/huge' && value).map(([key, value]) => [key, (value as unknown as { toJSON(): unknown }).toJSON()])),
      );
    } finally {
      await client.close();
    }
  });
});
