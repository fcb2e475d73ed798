import { InvalidValueError, TransactionError } from '../../src/api/errors';
import type { ProtoMessage } from '../../src/api/types';
import { SouthboundAdminClient } from '../../src/southbound/grpc/adminClient';
import type { GrpcSouthbound } from '../../src/southbound/grpc/client';
import type { SouthboundServer } from '../../src/southbound/agent/server';
import { connect, iface, route, routeRules, startServer, states, txn } from './helpers';

describe('GrpcSouthbound against the reference southbound over loopback gRPC', () => {
  let server: SouthboundServer;
  let client: GrpcSouthbound;
  let admin: SouthboundAdminClient;

  beforeEach(async () => {
    server = await startServer({ engineOptions: { dependencyRules: routeRules } });
    client = connect(server);
    admin = new SouthboundAdminClient({ address: server.address });
  });
  afterEach(async () => {
    admin.close();
    await client.close();
    await server.stop();
  });

  it('commits an update and returns the recorded transaction with values rendered as JSON', async () => {
    const result = await client.commit(txn([['config/interface/eth0', iface('eth0', 9000)]], { description: 'KubeStateChange' }));
    expect(result.seqNum).toBe(1n);
    expect(result.recorded).toMatchObject({
      seqNum: 1n,
      txnType: 'nb',
      description: 'KubeStateChange',
      values: [{ key: 'config/interface/eth0', value: { '@type': 'type.googleapis.com/test.Interface', name: 'eth0', mtu: 9000 } }],
      executed: [{ key: 'config/interface/eth0', operation: 'CREATE', prevState: 'NONEXISTENT', newState: 'CONFIGURED', isRevert: false, isRetry: false }],
    });
    expect(await client.getValueStatus('config/interface/eth0')).toEqual({ key: 'config/interface/eth0', state: 'CONFIGURED', lastOperation: 'CREATE', seqNum: 1n, error: undefined });
    expect(await client.getValueStatus('nope')).toMatchObject({ state: 'NONEXISTENT' });
  });

  it('gives recorded transactions whose lazy fields behave as plain ones, with one set of accessors for all', async () => {
    const first = (await client.commit(txn([['config/interface/eth0', iface('eth0')]], { description: 'pod “web-1” – wired' }))).recorded;
    const second = (await client.commit(txn([['config/interface/eth1', iface('eth1')]], { description: 'second' }))).recorded;
    if (!first || !second) throw new Error('no recorded transaction');
    expect(Object.keys(first)).toEqual(['seqNum', 'txnType', 'resyncType', 'start', 'stop', 'description', 'values', 'executed']);
    // What the history keeps per commit: no function of its own (an accessor per object would be).
    for (const field of ['description', 'values', 'executed']) {
      expect(Object.getOwnPropertyDescriptor(first, field)?.get).toBe(Object.getOwnPropertyDescriptor(second, field)?.get);
    }
    const json = JSON.parse(JSON.stringify(first, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))) as Record<string, unknown>;
    expect(json).toMatchObject({ seqNum: '1', description: 'pod “web-1” – wired', values: [{ key: 'config/interface/eth0' }], executed: [{ operation: 'CREATE' }] });
    expect({ ...second }).toMatchObject({ description: 'second', values: [{ key: 'config/interface/eth1' }] });
    // Read once, kept as plain data; assignable like any field.
    expect(Object.getOwnPropertyDescriptor(first, 'values')).toMatchObject({ writable: true, enumerable: true });
    second.executed = [];
    expect(second.executed).toEqual([]);
  });

  it('FULL resync makes the southbound hold exactly the transaction, fixing drift', async () => {
    await client.commit(txn([['config/interface/a', iface('a')], ['config/interface/b', iface('b')], ['config/interface/c', iface('c')]]));
    await admin.drift({ removeKeys: ['config/interface/a'] });
    const result = await client.commit(txn([['config/interface/a', iface('a')], ['config/interface/b', iface('b', 1400)]], { resync: 'full', startup: true }));
    expect(result.recorded?.resyncType).toBe('full');
    expect(result.recorded?.executed.map((op) => `${op.operation} ${op.key}`).sort()).toEqual([
      'CREATE config/interface/a',
      'DELETE config/interface/c',
      'UPDATE config/interface/b',
    ]);
    expect(server.engine.dataplane.get('config/interface/a')).toBeDefined();
    expect(await states(client)).toEqual({ 'config/interface/a': 'CONFIGURED', 'config/interface/b': 'CONFIGURED' });
  });

  it('UPSTREAM resync replaces the state without refreshing the view of the dataplane', async () => {
    await client.commit(txn([['config/interface/a', iface('a')], ['config/interface/b', iface('b')]]));
    await admin.drift({ removeKeys: ['config/interface/a'] });
    const result = await client.commit(txn([['config/interface/a', iface('a')]], { resync: 'upstream' }));
    expect(result.recorded?.executed.map((op) => `${op.operation} ${op.key}`)).toEqual(['DELETE config/interface/b']);
    // The drift is not seen: the scheduler still believes "a" is applied.
    expect(server.engine.dataplane.get('config/interface/a')).toBeUndefined();
  });

  it('DOWNSTREAM resync re-applies the southbound\'s own desired state; with values it is an init error', async () => {
    await client.commit(txn([['config/interface/a', iface('a')]]));
    await admin.drift({ removeKeys: ['config/interface/a'] });
    const result = await client.commit(txn([], { resync: 'downstream' }));
    expect(result.recorded?.executed.map((op) => `${op.operation} ${op.key}`)).toEqual(['CREATE config/interface/a']);
    expect(server.engine.dataplane.get('config/interface/a')).toBeDefined();

    const refused = client.commit(txn([['config/interface/x', iface('x')]], { resync: 'downstream' }));
    await expect(refused).rejects.toBeInstanceOf(TransactionError);
    await expect(refused).rejects.toMatchObject({ seqNum: undefined, keyErrors: [], initError: expect.stringContaining('DOWNSTREAM') });
  });

  it('revert combined with a resync is an init error: nothing starts', async () => {
    const refused = client.commit(txn([['config/interface/a', iface('a')]], { resync: 'full', revertOnFailure: true }));
    await expect(refused).rejects.toMatchObject({ name: 'TransactionError', seqNum: undefined, initError: expect.stringMatching(/revert/) });
    expect(await client.dumpState()).toEqual([]);
  });

  it('reports per-key errors with their operation and sequence number', async () => {
    await admin.injectFault({ keyPattern: '^config/interface/bad', error: 'no such NIC' });
    const failed = client.commit(txn([['config/interface/good', iface('good')], ['config/interface/bad', iface('bad')]]));
    await expect(failed).rejects.toMatchObject({
      seqNum: 1n,
      keyErrors: [{ key: 'config/interface/bad', operation: 'CREATE', error: expect.stringContaining('no such NIC') }],
      recorded: { seqNum: 1n },
    });
    expect(await states(client)).toEqual({ 'config/interface/bad': 'FAILED', 'config/interface/good': 'CONFIGURED' });
  });

  it('reverts over gRPC: executed operations in reverse order, flagged is-revert', async () => {
    await client.commit(txn([['config/interface/a', iface('a', 1500)]]));
    await admin.injectFault({ keyPattern: '^config/interface/c$', times: 1 });
    const failed = client.commit(
      txn([['config/interface/a', iface('a', 9000)], ['config/interface/b', iface('b')], ['config/interface/c', iface('c')]], { revertOnFailure: true }),
    );
    const error: unknown = await failed.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionError);
    const recorded = (error as TransactionError).recorded;
    expect(recorded?.executed.map((op) => `${op.isRevert ? 'revert ' : ''}${op.operation} ${op.key} ${op.newState}`)).toEqual([
      'UPDATE config/interface/a CONFIGURED',
      'CREATE config/interface/b CONFIGURED',
      'CREATE config/interface/c FAILED',
      'revert DELETE config/interface/b REMOVED',
      'revert UPDATE config/interface/a CONFIGURED',
    ]);
    const dump = await client.dumpState();
    expect(dump.map((s) => [s.key, s.state])).toEqual([
      ['config/interface/a', 'CONFIGURED'],
      ['config/interface/c', 'FAILED'],
    ]);
    expect(recorded?.executed[4]?.newValue).toMatchObject({ mtu: 1500 });
  });

  it('keeps a route PENDING until its interface exists, and cascades it back to PENDING when it goes', async () => {
    await client.commit(txn([['config/route/eth0/10.1.0.0', route('10.1.0.0/16', 'eth0')]]));
    expect(await states(client)).toEqual({ 'config/route/eth0/10.1.0.0': 'PENDING' });
    const created = await client.commit(txn([['config/interface/eth0', iface('eth0')]]));
    expect(created.recorded?.executed.map((op) => `${op.key} ${op.newState}`)).toEqual([
      'config/interface/eth0 CONFIGURED',
      'config/route/eth0/10.1.0.0 CONFIGURED',
    ]);
    await client.commit(txn([['config/interface/eth0', null]]));
    const dump = await client.dumpState();
    expect(dump).toEqual([
      expect.objectContaining({ key: 'config/route/eth0/10.1.0.0', state: 'PENDING', applied: undefined, dependencies: ['config/interface/eth0'] }),
    ]);
    expect(server.engine.dataplane.get('config/route/eth0/10.1.0.0')).toBeUndefined();
  });
});

describe('64-bit sequence numbers', () => {
  it('stay exact above 2^53 from the southbound to the TransactionError', async () => {
    const first = 2n ** 63n + 5n;
    const server = await startServer({ engineOptions: { firstSeqNum: first } });
    const client = connect(server);
    const admin = new SouthboundAdminClient({ address: server.address });
    try {
      expect((await client.commit(txn([['a', iface('a')]]))).seqNum).toBe(first);
      await admin.injectFault({ keyPattern: '^b$' });
      await expect(client.commit(txn([['b', iface('b')]]))).rejects.toMatchObject({ seqNum: first + 1n, recorded: { seqNum: first + 1n } });
      expect((await client.getValueStatus('b')).seqNum).toBe(first + 1n);
    } finally {
      admin.close();
      await client.close();
      await server.stop();
    }
  });
});

describe('values that are not protobufjs messages', () => {
  it('reject the commit with a TransactionError caused by InvalidValueError, before anything is sent', async () => {
    const server = await startServer();
    const client = connect(server);
    try {
      const plain = { name: 'eth0' } as unknown as ProtoMessage;
      const error: unknown = await client.commit(txn([['a', plain]])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransactionError);
      expect((error as TransactionError).cause).toBeInstanceOf(InvalidValueError);
      expect(server.stats.partsReceived).toBe(0);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});
