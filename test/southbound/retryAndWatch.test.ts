import { SouthboundAdminClient } from '../../src/southbound/grpc/adminClient';
import type { GrpcSouthbound } from '../../src/southbound/grpc/client';
import type { ValueStatus } from '../../src/southbound/grpc/model';
import type { ValueStatusWatch } from '../../src/southbound/grpc/valueStatusWatch';
import type { SouthboundServer } from '../../src/southbound/agent/server';
import { connect, iface, route, routeRules, startServer, txn, waitFor } from './helpers';

describe('retry and value-status watchers over gRPC', () => {
  let server: SouthboundServer;
  let client: GrpcSouthbound;
  let admin: SouthboundAdminClient;
  let watch: ValueStatusWatch | undefined;
  let seen: ValueStatus[];

  beforeEach(async () => {
    server = await startServer({ engineOptions: { dependencyRules: routeRules } });
    client = connect(server);
    admin = new SouthboundAdminClient({ address: server.address });
    seen = [];
    watch = await client.watchValueStatus(['config/'], (status) => seen.push(status));
  });
  afterEach(async () => {
    watch?.close();
    admin.close();
    await client.close();
    await server.stop();
  });

  const trail = (key: string): string[] => seen.filter((s) => s.key === key).map((s) => s.state);

  it('retries a failed create as separate transactions: RETRYING, then CONFIGURED', async () => {
    await admin.injectFault({ keyPattern: '^config/interface/flaky$', times: 2 });
    const failed = client.commit(txn([['config/interface/flaky', iface('flaky')]], { retry: { periodMs: 20, maxAttempts: 3, expBackoff: true } }));
    await expect(failed).rejects.toMatchObject({ seqNum: 1n, keyErrors: [{ key: 'config/interface/flaky', operation: 'CREATE' }] });
    expect((await client.getValueStatus('config/interface/flaky')).state).toBe('RETRYING');

    await waitFor(() => trail('config/interface/flaky').includes('CONFIGURED'), 'the retry to succeed', 15_000);
    expect(trail('config/interface/flaky')).toEqual(['RETRYING', 'RETRYING', 'CONFIGURED']);
    // Each retry is a transaction of its own, with its own sequence number.
    expect(seen.filter((s) => s.key === 'config/interface/flaky').map((s) => s.seqNum)).toEqual([1n, 2n, 3n]);
    const retry = await client.getRecordedTxn(3n);
    expect(retry).toMatchObject({ txnType: 'retry', executed: [{ key: 'config/interface/flaky', isRetry: true, newState: 'CONFIGURED' }] });
  });

  it('gives up after the maximum attempts: FAILED', async () => {
    await admin.injectFault({ keyPattern: '^config/interface/broken$' });
    await expect(client.commit(txn([['config/interface/broken', iface('broken')]], { retry: { periodMs: 10, maxAttempts: 2, expBackoff: false } }))).rejects.toMatchObject({
      keyErrors: [{ key: 'config/interface/broken' }],
    });
    await waitFor(() => trail('config/interface/broken').includes('FAILED'), 'the retries to run out', 15_000);
    expect(trail('config/interface/broken')).toEqual(['RETRYING', 'RETRYING', 'FAILED']);
    expect(server.engine.pendingRetries).toBe(0);
    expect((await client.getValueStatus('config/interface/broken')).error).toMatch(/injected fault/);
  });

  it('drops a retry when a newer transaction changed the value meanwhile', async () => {
    await admin.injectFault({ keyPattern: '^config/interface/x$', times: 1 });
    // The period only has to outlast the next commit (milliseconds); it is long for loaded CI machines.
    await expect(client.commit(txn([['config/interface/x', iface('x')]], { retry: { periodMs: 2000, maxAttempts: 1, expBackoff: false } }))).rejects.toThrow();
    await client.commit(txn([['config/interface/x', iface('x', 9000)]]));
    await waitFor(() => server.engine.pendingRetries === 0, 'the retry timer', 15_000);
    expect(server.engine.recordedTxns().map((t) => t.txnType)).toEqual(['nb', 'nb']);
    expect((await client.getValueStatus('config/interface/x')).state).toBe('CONFIGURED');
  });

  it('sees every status change of a dependency cascade, in order', async () => {
    await client.commit(txn([['config/route/eth0/r1', route('r1', 'eth0')], ['config/route/eth0/r2', route('r2', 'eth0')]]));
    await client.commit(txn([['config/interface/eth0', iface('eth0')]]));
    await client.commit(txn([['config/interface/eth0', null]]));
    await waitFor(() => trail('config/interface/eth0').includes('REMOVED'), 'the status changes', 15_000);
    expect(seen.map((s) => `${s.key}=${s.state}`)).toEqual([
      'config/route/eth0/r1=PENDING',
      'config/route/eth0/r2=PENDING',
      'config/interface/eth0=CONFIGURED',
      'config/route/eth0/r1=CONFIGURED',
      'config/route/eth0/r2=CONFIGURED',
      'config/route/eth0/r1=PENDING',
      'config/route/eth0/r2=PENDING',
      'config/interface/eth0=REMOVED',
    ]);
  });

  it('ends the watch when the server stops', async () => {
    const stopped = server.stop();
    await watch?.ended;
    await stopped;
  });
});

describe('the recorded-transaction history over gRPC', () => {
  it('answers NOT_FOUND, seen as undefined, for a transaction dropped from the bounded history', async () => {
    const server = await startServer({ engineOptions: { maxRecordedTxns: 2 } });
    const client = connect(server);
    try {
      for (const name of ['a', 'b', 'c']) await client.commit(txn([[name, iface(name)]]));
      expect(await client.getRecordedTxn(1n)).toBeUndefined();
      expect(await client.getRecordedTxn(3n)).toMatchObject({ seqNum: 3n, values: [{ key: 'c' }] });
    } finally {
      await client.close();
      await server.stop();
    }
  });
});
