import { TransactionError } from '../../src/api/errors';
import type { GrpcSouthbound } from '../../src/southbound/grpc/client';
import { SouthboundUnreachableError } from '../../src/southbound/grpc/errors';
import type { SouthboundServer } from '../../src/southbound/agent/server';
import type { ProtoMessage } from '../../src/api/types';
import { grpcFixture } from './grpcFixture';
import { connect, iface, startServer, states, txn, waitFor } from './helpers';

describe('southbound restarts', () => {
  let server: SouthboundServer | undefined;
  let client: GrpcSouthbound | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.stop();
    client = undefined;
    server = undefined;
  });

  /** Restarts the southbound on the same port: a new instance with an empty state. */
  async function restart(): Promise<void> {
    const port = server?.port;
    await server?.stop();
    server = await startServer({ listen: `127.0.0.1:${port}` });
  }

  it('fires onReset when the instance changes, and a FULL resync restores the whole desired state', async () => {
    server = await startServer();
    client = connect(server);
    const resets: string[] = [];
    client.onReset((reason) => resets.push(reason));
    const desired = new Map<string, ProtoMessage>([
      ['config/interface/a', iface('a')],
      ['config/interface/b', iface('b')],
    ]);

    // Event 1, then the southbound restarts and loses everything.
    await client.commit(txn(desired, { resync: 'full', startup: true }));
    const firstInstance = client.instanceId;
    expect(resets).toEqual([]);
    await restart();

    // Event 2 (a delta) succeeds on the empty store: only the reset tells that it diverged.
    desired.set('config/interface/c', iface('c'));
    await client.commit(txn([['config/interface/c', iface('c')]]));
    expect(resets).toHaveLength(1);
    expect(resets[0]).toContain(firstInstance);
    expect(await states(client)).toEqual({ 'config/interface/c': 'CONFIGURED' });

    // What the controller does on reset: a FULL resync of its whole desired state.
    await client.commit(txn(desired, { resync: 'full' }));
    expect(await states(client)).toEqual({
      'config/interface/a': 'CONFIGURED',
      'config/interface/b': 'CONFIGURED',
      'config/interface/c': 'CONFIGURED',
    });
    expect(resets).toHaveLength(1);
  });

  it('fails a commit with SouthboundUnreachableError while the server is down, and reconnects when it is back', async () => {
    server = await startServer();
    client = connect(server, { connectTimeoutMs: 300, reconnectBackoff: { initialMs: 50, maxMs: 200 } });
    await client.commit(txn([['a', iface('a')]]));
    const port = server.port;
    await server.stop();
    server = undefined;

    const failed = client.commit(txn([['b', iface('b')]]));
    await expect(failed).rejects.toBeInstanceOf(SouthboundUnreachableError);
    await expect(failed).rejects.toBeInstanceOf(TransactionError);
    await expect(failed).rejects.toMatchObject({ seqNum: undefined, initError: expect.stringContaining('unreachable') });

    server = await startServer({ listen: `127.0.0.1:${port}` });
    const live = client;
    // The controller's healing resync: retried until the southbound answers again.
    const result = await waitFor(() => live.commit(txn([['a', iface('a')], ['b', iface('b')]], { resync: 'full' })).catch(() => undefined), 'reconnection', 15_000);
    expect(result.seqNum).toBe(1n);
    expect(await states(client)).toEqual({ a: 'CONFIGURED', b: 'CONFIGURED' });
  });

  it('rejects with SouthboundUnreachableError when nothing listens at all', async () => {
    const probe = await startServer();
    const port = probe.port;
    await probe.stop();
    client = connect(probe, { connectTimeoutMs: 200 });
    await expect(client.commit(txn([['a', iface('a')]]))).rejects.toMatchObject({
      name: 'SouthboundUnreachableError',
      address: `127.0.0.1:${port}`,
      cause: expect.anything(),
    });
  });
});

describe('the gRPC fixture for the controller scenarios', () => {
  it('reports the applied state as JSON, fails keys until undone, and restarts empty', async () => {
    const fixture = await grpcFixture();
    try {
      const undo = await fixture.failKeys('config/interface/b.x');
      await expect(fixture.southbound.commit(txn([['config/interface/a', iface('a')], ['config/interface/b.x', iface('b')]]))).rejects.toMatchObject({
        keyErrors: [{ key: 'config/interface/b.x' }],
      });
      await undo();
      await fixture.southbound.commit(txn([['config/interface/b.x', iface('b', 9000)]]));
      expect(await fixture.applied()).toEqual({
        'config/interface/a': { name: 'a', mtu: 1500, ip: '10.0.0.1/24' },
        'config/interface/b.x': { name: 'b', mtu: 9000, ip: '10.0.0.1/24' },
      });
      const resets: string[] = [];
      fixture.southbound.onReset((reason) => resets.push(reason));
      await fixture.restart();
      expect(await fixture.applied()).toEqual({});
      expect(resets).toHaveLength(1);
    } finally {
      await fixture.close();
    }
  });
});
