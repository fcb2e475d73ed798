import { createServer, type Server, type Socket } from 'node:net';
import { SouthboundUnavailableError, TransactionError } from '../../src/api/errors';
import type { GrpcSouthbound } from '../../src/southbound/grpc/client';
import {
  SouthboundCommitTimeoutError,
  SouthboundConnectionLostError,
  SouthboundRefusedError,
  SouthboundUnreachableError,
} from '../../src/southbound/grpc/errors';
import type { SouthboundServer } from '../../src/southbound/agent/server';
import { connect, iface, silentLogger, startServer, txn, waitFor } from './helpers';
import { GrpcSouthbound as Client } from '../../src/southbound/grpc/client';
import { TcpProxy } from './tcpProxy';

/**
 * A transaction of ~10 MB in parts of 64 KiB: more than the southbound's HTTP/2 receive window
 * (8 MiB), so that while the proxy holds it back the client cannot send its last part, and it
 * stays half sent.
 */
const manyValues = (): [string, ReturnType<typeof iface>][] => Array.from({ length: 70_000 }, (_, i) => [`config/interface/if-${i}`, iface(`if-${i}-${'x'.repeat(100)}`)]);

describe('every way the southbound can be out of reach is SouthboundUnavailableError, with nothing applied', () => {
  let server: SouthboundServer | undefined;
  let proxy: TcpProxy | undefined;
  let client: GrpcSouthbound | undefined;

  afterEach(async () => {
    await client?.close();
    await proxy?.close();
    await server?.stop();
    client = undefined;
    proxy = undefined;
    server = undefined;
  });

  /** The client talks to the southbound through the proxy; one commit opens the session. */
  async function throughProxy(options: { commitDeadlineMs?: number } = {}): Promise<{ server: SouthboundServer; proxy: TcpProxy; client: GrpcSouthbound }> {
    server = await startServer();
    proxy = await TcpProxy.start(server.port);
    client = new Client({ address: proxy.address, logger: silentLogger, maxBatchBytes: 64 * 1024, ...options });
    await client.commit(txn([['first', iface('first')]]));
    return { server, proxy, client };
  }

  /** Starts a big commit and returns once the southbound holds a part of it, the rest held back. */
  async function halfSent(setup: { server: SouthboundServer; proxy: TcpProxy; client: GrpcSouthbound }): Promise<{ outcome: Promise<unknown> }> {
    const partsBefore = setup.server.stats.partsReceived;
    setup.proxy.holdUpstreamAfter(100 * 1024);
    const outcome = setup.client.commit(txn(manyValues())).catch((error: unknown) => error);
    await waitFor(() => setup.server.stats.partsReceived > partsBefore, 'a first part to reach the southbound', 15_000);
    // Wrapped: an async function returning the promise itself would wait for it.
    return { outcome };
  }

  it('nothing listening: SouthboundUnreachableError', async () => {
    const probe = await startServer();
    await probe.stop();
    client = connect(probe, { connectTimeoutMs: 200 });
    const failed = client.commit(txn([['a', iface('a')]]));
    await expect(failed).rejects.toBeInstanceOf(SouthboundUnreachableError);
    await expect(failed).rejects.toBeInstanceOf(SouthboundUnavailableError);
  });

  it('a peer that accepts connections but never answers (the deadline while connecting): SouthboundUnreachableError', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    client = new Client({ address: `127.0.0.1:${port}`, logger: silentLogger, connectTimeoutMs: 300 });
    try {
      await expect(client.commit(txn([['a', iface('a')]]))).rejects.toBeInstanceOf(SouthboundUnreachableError);
    } finally {
      await client.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('the connection dropped mid-commit: SouthboundConnectionLostError, the half-sent transaction not applied', async () => {
    const setup = await throughProxy();
    const { outcome } = await halfSent(setup);
    setup.proxy.cut();
    const error = await outcome;
    expect(error).toBeInstanceOf(SouthboundConnectionLostError);
    expect(error).toBeInstanceOf(SouthboundUnavailableError);
    expect(error).toMatchObject({ sent: false, seqNum: undefined });
    await waitFor(() => setup.server.stats.txnsDiscarded === 1, 'the southbound to drop the transaction', 15_000);
    expect(setup.server.engine.dump().map((s) => s.key)).toEqual(['first']);
  });

  it('the southbound shutting down mid-commit: SouthboundConnectionLostError, the half-sent transaction not applied', async () => {
    const setup = await throughProxy();
    const { outcome } = await halfSent(setup);
    const engine = setup.server.engine;
    await setup.server.stop();
    const error = await outcome;
    expect(error).toBeInstanceOf(SouthboundConnectionLostError);
    expect((error as Error).message).toMatch(/shutting down/);
    expect(setup.server.stats.txnsDiscarded).toBe(1);
    expect(engine.dump().map((s) => s.key)).toEqual(['first']);
  });

  it('no answer within the commit deadline: SouthboundCommitTimeoutError; the session is re-opened and the transaction dropped', async () => {
    const setup = await throughProxy({ commitDeadlineMs: 500 });
    const { outcome } = await halfSent(setup);
    const error = await outcome;
    expect(error).toBeInstanceOf(SouthboundCommitTimeoutError);
    expect(error).toBeInstanceOf(SouthboundUnavailableError);
    // What was held back reaches the southbound now, the cancel of the session last.
    setup.proxy.release();
    await waitFor(() => setup.server.stats.txnsDiscarded === 1, 'the southbound to drop the transaction', 15_000);
    expect(setup.server.engine.dump().map((s) => s.key)).toEqual(['first']);

    // Commits go through again on the new session.
    const result = await waitFor(() => setup.client.commit(txn([['after', iface('after')]])).catch(() => undefined), 'a commit on a new session', 15_000);
    expect(result.seqNum).toBe(2n);
  });
});

describe('failures that are not outages keep their own types', () => {
  let server: SouthboundServer;
  let client: GrpcSouthbound;
  afterEach(async () => {
    await client.close();
    await server.stop();
  });

  it('a key error, an init error and a transaction over the southbound\'s byte bound are TransactionErrors, not outages', async () => {
    server = await startServer({ maxTxnBytes: 256 * 1024 });
    client = connect(server);
    server.engine.faults.add({ key: '^bad$' });
    const keyError = client.commit(txn([['bad', iface('bad')]]));
    await expect(keyError).rejects.toBeInstanceOf(TransactionError);
    await expect(keyError).rejects.not.toBeInstanceOf(SouthboundUnavailableError);

    const initError = client.commit(txn([['a', iface('a')]], { resync: 'downstream' }));
    await expect(initError).rejects.toMatchObject({ initError: expect.stringContaining('DOWNSTREAM') });
    await expect(initError).rejects.not.toBeInstanceOf(SouthboundUnavailableError);

    const tooBig = client.commit(txn(manyValues()));
    await expect(tooBig).rejects.toBeInstanceOf(SouthboundRefusedError);
    await expect(tooBig).rejects.toMatchObject({ initError: expect.stringContaining('maxTxnBytes') });
    await expect(tooBig).rejects.not.toBeInstanceOf(SouthboundUnavailableError);
    expect(server.engine.dump().map((s) => s.key)).toEqual(['bad']);
  });
});
