import { DBResync, KubeStateChange, createController, type Controller } from '../../src';
import { TransactionError } from '../../src/api/errors';
import type { ProtoMessage } from '../../src/api/types';
import { MAX_VALUE_BYTES } from '../../src/southbound/grpc/batching';
import type { GrpcSouthbound } from '../../src/southbound/grpc/client';
import { SouthboundAdminClient } from '../../src/southbound/grpc/adminClient';
import type { SouthboundServer } from '../../src/southbound/agent/server';
import { connect, iface, silentLogger, startServer, states, txn, waitFor } from './helpers';

const MiB = 1024 * 1024;

/** An interface whose name makes the value about `bytes` long. */
function bigIface(bytes: number, fill = 'x'): ProtoMessage {
  return iface(fill.repeat(bytes));
}

function nameLength(client: GrpcSouthbound, value: Parameters<GrpcSouthbound['unpack']>[0]): number | undefined {
  return (client.unpack(value) as unknown as { name?: string } | undefined)?.name?.length;
}

describe('values near and over the message limit', () => {
  let server: SouthboundServer;
  let client: GrpcSouthbound;
  let admin: SouthboundAdminClient;

  beforeEach(async () => {
    server = await startServer();
    client = connect(server);
    admin = new SouthboundAdminClient({ address: server.address });
  });
  afterEach(async () => {
    admin.close();
    await client.close();
    await server.stop();
  });

  it('fails a 5 MiB value alone, as a key error, while the rest of its transaction is applied; later changes go through', async () => {
    const failed: unknown = await client
      .commit(txn([['config/interface/a', iface('a')], ['config/interface/huge', bigIface(5 * MiB)], ['config/interface/c', iface('c')]]))
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(TransactionError);
    const error = failed as TransactionError;
    expect(error.initError).toBeUndefined();
    expect(error.keyErrors).toEqual([
      { key: 'config/interface/huge', operation: 'CREATE', error: expect.stringContaining(`over the ${MAX_VALUE_BYTES}-byte limit`) },
    ]);
    expect(error.seqNum).toBe(1n);
    expect(error.recorded?.executed.map((op) => `${op.key} ${op.newState}`)).toEqual([
      'config/interface/a CONFIGURED',
      'config/interface/huge FAILED',
      'config/interface/c CONFIGURED',
    ]);
    // The history renders what was not sent as its type and the reason, not as 5 MiB of JSON.
    expect(error.recorded?.values[1]).toEqual({ key: 'config/interface/huge', value: { '@type': 'type.googleapis.com/test.Interface', error: expect.stringContaining('not sent') } });
    expect(await states(client)).toEqual({ 'config/interface/a': 'CONFIGURED', 'config/interface/c': 'CONFIGURED', 'config/interface/huge': 'FAILED' });

    await client.commit(txn([['config/interface/huge', iface('huge')]]));
    expect((await client.getValueStatus('config/interface/huge')).state).toBe('CONFIGURED');
  });

  it('keeps the applied value of a key whose new value is too big, even in a FULL resync', async () => {
    await client.commit(txn([['config/interface/a', iface('a', 1500)]]));
    const failed = client.commit(txn([['config/interface/a', bigIface(4 * MiB)], ['config/interface/b', iface('b')]], { resync: 'full' }));
    await expect(failed).rejects.toMatchObject({ keyErrors: [{ key: 'config/interface/a', operation: 'UPDATE' }] });
    const [a, b] = await client.dumpState();
    expect(a).toMatchObject({ key: 'config/interface/a', state: 'FAILED', error: expect.stringContaining('not sent') });
    expect((client.unpack(a?.applied) as unknown as { mtu: number }).mtu).toBe(1500);
    expect(b).toMatchObject({ key: 'config/interface/b', state: 'CONFIGURED' });
  });

  it('dumps keys holding 2.5 MiB values, desired and applied ones that differ included', async () => {
    const size = 2.5 * MiB;
    await client.commit(txn([['big/a', bigIface(size, 'a')], ['big/b', bigIface(size, 'b')], ['big/c', bigIface(size, 'c')]]));
    await admin.injectFault({ keyPattern: '^big/b$', operations: ['UPDATE'] });
    await expect(client.commit(txn([['big/b', bigIface(size, 'B')]]))).rejects.toBeInstanceOf(TransactionError);

    const dump = await client.dumpState('big/');
    expect(dump.map((s) => [s.key, s.state])).toEqual([
      ['big/a', 'CONFIGURED'],
      ['big/b', 'FAILED'],
      ['big/c', 'CONFIGURED'],
    ]);
    for (const state of dump) {
      expect(nameLength(client, state.desired)).toBe(size);
      expect(nameLength(client, state.applied)).toBe(size);
    }
    expect((client.unpack(dump[1]?.desired) as unknown as { name: string }).name[0]).toBe('B');
    expect((client.unpack(dump[1]?.applied) as unknown as { name: string }).name[0]).toBe('b');
  });

  it('records an operation whose two 2.5 MiB values do not fit in one message together (a revert)', async () => {
    const size = 2.5 * MiB;
    await client.commit(txn([['big/a', bigIface(size, 'a')]]));
    await admin.injectFault({ keyPattern: '^fails$', times: 1 });
    const failed: unknown = await client
      .commit(txn([['big/a', bigIface(size, 'A')], ['fails', iface('f')]], { revertOnFailure: true }))
      .catch((error: unknown) => error);
    const recorded = (failed as TransactionError).recorded;
    const revert = recorded?.executed.find((op) => op.isRevert);
    expect(revert).toMatchObject({ key: 'big/a', operation: 'UPDATE' });
    expect((revert?.prevValue as { name: string }).name.slice(0, 1)).toBe('A');
    expect((revert?.newValue as { name: string }).name.slice(0, 1)).toBe('a');
    expect((revert?.newValue as { name: string }).name).toHaveLength(size);

    // The same over GetRecordedTxn, whose parts carry the values back.
    const fetched = await client.getRecordedTxn(recorded?.seqNum ?? 0n);
    expect(fetched?.executed.map((op) => [op.key, op.isRevert, (op.prevValue as { name?: string } | undefined)?.name?.[0], (op.newValue as { name?: string } | undefined)?.name?.[0]])).toEqual([
      ['big/a', false, 'a', 'A'],
      ['fails', false, undefined, 'f'],
      ['big/a', true, 'A', 'a'],
    ]);
  });
});

describe('a value too big for the protocol, through the controller', () => {
  let server: SouthboundServer;
  let client: GrpcSouthbound;
  let controller: Controller | undefined;

  afterEach(async () => {
    await controller?.close();
    await client.close();
    await server.stop();
  });

  it('fails that key alone in the event history; the rest of the event is applied', async () => {
    server = await startServer();
    client = connect(server);
    controller = createController({
      handlers: [
        {
          name: 'pods',
          handlesEvent: (event) => event instanceof KubeStateChange,
          resync() {},
          update(event, txnOps) {
            const change = event as KubeStateChange;
            txnOps.put(`config/interface/${change.key}`, iface(change.key));
            txnOps.put(`config/blob/${change.key}`, bigIface(5 * MiB));
            return `pod ${change.key}`;
          },
          revert() {},
        },
      ],
      southbound: client,
      logger: silentLogger,
      config: { delayAfterErrorHealing: 600_000 },
    });
    await controller.start();
    controller.pushEvent(new DBResync());
    controller.pushEvent(new KubeStateChange({ key: 'p1', resource: 'pod', newValue: iface('p1') }));
    const record = await waitFor(() => controller?.eventHistory().find((r) => r.name === KubeStateChange.eventName), 'the event to be processed', 15_000);
    expect(record.txnError).toMatch(/config\/blob\/p1 \(CREATE\): value of \d+ bytes is over/);
    expect(record.txn?.executed.map((op) => `${op.key} ${op.newState}`)).toEqual(['config/interface/p1 CONFIGURED', 'config/blob/p1 FAILED']);
    expect(await states(client)).toEqual({ 'config/blob/p1': 'FAILED', 'config/interface/p1': 'CONFIGURED' });
  });
});
