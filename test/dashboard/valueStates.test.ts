import pino from 'pino';
import { SouthboundValueStates } from '../../src/agent/dashboard/valueStates';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { GrpcSouthbound } from '../../src/southbound/grpc/client';
import { waitFor } from '../support/waitFor';

const logger = pino({ level: 'silent' });
let southbound: SouthboundServer;
let client: GrpcSouthbound;

beforeAll(async () => {
  southbound = await SouthboundServer.start({ listen: '127.0.0.1:0', logger });
  client = new GrpcSouthbound({ address: southbound.address, logger });
});

afterAll(async () => {
  await client.close();
  await southbound.stop();
});

test('closing while the watch is still opening ends it too (the agent stops without waiting forever)', async () => {
  const states = new SouthboundValueStates({ source: client, logger });
  states.start();
  await states.close();
  expect(states.status().watch).not.toBe('watching');
});

test('the watch reports watching once the southbound dumped its values, and no longer watching once the southbound is gone', async () => {
  const server = await SouthboundServer.start({ listen: '127.0.0.1:0', logger });
  const gone = new GrpcSouthbound({ address: server.address, logger, connectTimeoutMs: 200 });
  const states = new SouthboundValueStates({ source: gone, logger, minRetryMs: 50, maxRetryMs: 200 });
  const seen: string[] = [];
  states.subscribe({ changed: () => undefined, reloaded: () => seen.push('reloaded'), status: (status) => seen.push(status.watch) });
  try {
    states.start();
    await waitFor(() => seen.includes('watching'), 'the watch');
    expect(seen.indexOf('reloaded')).toBeLessThan(seen.indexOf('watching'));
    expect(states.snapshot(10)).toMatchObject({ entries: [], loading: false, counts: { total: 0 } });
    await server.stop();
    await waitFor(() => states.status().watch !== 'watching', 'the watch to notice the southbound is gone');
  } finally {
    await states.close();
    await gone.close();
    await server.stop();
  }
});
