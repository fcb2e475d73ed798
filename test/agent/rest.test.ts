import { once } from 'node:events';
import { createServer } from 'node:net';
import pino from 'pino';
import { DBResync, FatalError, InMemorySouthbound, type Controller, type EventHandler, type EventRecord, type Southbound } from '../../src';
import { ControllerMetrics, DEFAULT_METRICS_PREFIX } from '../../src/agent/metrics';
import { RestAddressUnavailableError, RestPortInUseError, RestServerError } from '../../src/agent/rest/errors';
import { startRestServer, type RestServer, type RestServerOptions } from '../../src/agent/rest/server';
import { grpcFixture, type GrpcFixture } from '../southbound/grpcFixture';
import { capturingLogger, recordingHandler, startController, TestUpdate } from '../support/harness';
import { value } from '../support/messages';
import { waitFor } from '../support/waitFor';
import { parseExposition, sampleValue } from './exposition';

const silent = pino({ level: 'silent' });

interface Stack {
  controller: Controller;
  metrics: ControllerMetrics;
  rest: RestServer;
}

/** Everything a test started, closed in reverse order whatever the test did. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function startStack(options: {
  southbound?: Southbound;
  handlers?: EventHandler[];
  rest?: Partial<RestServerOptions>;
}): Promise<Stack> {
  const controller = await startController({
    handlers: options.handlers ?? [recordingHandler('h', [])],
    southbound: options.southbound ?? new InMemorySouthbound(),
  });
  cleanups.push(() => controller.close());
  const metrics = new ControllerMetrics({ controller });
  cleanups.push(() => metrics.close());
  const rest = await startRestServer({ controller, metrics, port: 0, logger: silent, ...options.rest });
  cleanups.push(() => rest.close());
  return { controller, metrics, rest };
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(url, init);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: response.status, body: await response.json(), headers: response.headers };
}

async function waitForIdle(controller: Controller, count: number): Promise<void> {
  await waitFor(() => controller.eventHistory().length >= count && controller.health().state === 'idle', `${count} events processed`);
}

describe('REST server: GET /controller/event-history against the reference southbound over gRPC', () => {
  let fixture: GrpcFixture;
  let stack: Stack;
  let records: EventRecord[];
  /** The records as the REST API renders them (bigints as strings). */
  let rendered: Record<string, unknown>[];

  beforeAll(async () => {
    fixture = await grpcFixture();
    const handler = recordingHandler('pods', [], {
      update: (event, txn) => txn.put(`config/pods/${event.getName()}`, value({ name: event.getName() })),
    });
    stack = await startStack({ southbound: fixture.southbound, handlers: [handler] });
    // Shared by the tests of this block: closed after all of them, not after the first.
    ownCleanups.push(...cleanups.splice(0));
    stack.controller.pushEvent(new DBResync({}));
    for (let n = 1; n <= 5; n++) stack.controller.pushEvent(new TestUpdate(`Update${n}`));
    await waitForIdle(stack.controller, 6);
    records = stack.controller.eventHistory();
    rendered = JSON.parse(JSON.stringify(records, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>[];
  });
  const ownCleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    while (ownCleanups.length > 0) await ownCleanups.pop()?.();
    await fixture.close();
  });

  async function history(query: string): Promise<{ status: number; body: unknown }> {
    const { status, body } = await getJson(`${stack.rest.url}/controller/event-history${query}`);
    return { status, body };
  }
  async function seqNums(query: string): Promise<number[]> {
    const { status, body } = await history(query);
    expect([query, status]).toEqual([query, 200]);
    return (body as EventRecord[]).map((r) => r.seqNum);
  }

  test('listens on 127.0.0.1 by default, on the port it was given (0 = a free one)', () => {
    expect(stack.rest.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.rest.url).not.toMatch(/:0$/);
  });

  test('no parameter: every record, with the 64-bit southbound sequence numbers as decimal strings', async () => {
    const { status, body } = await history('');
    expect(status).toBe(200);
    expect(body).toEqual(rendered);
    const txn = (body as { txn?: { seqNum: unknown } }[])[1].txn;
    expect(typeof records[1].txn?.seqNum).toBe('bigint');
    expect(txn?.seqNum).toBe(String(records[1].txn?.seqNum));
    expect(txn?.seqNum).toMatch(/^\d+$/);
  });

  test('seq-num selects one record; an unknown one is 404 with a JSON error', async () => {
    expect(await history('?seq-num=3')).toEqual({ status: 200, body: [rendered[3]] });
    const missing = await history('?seq-num=99');
    expect(missing).toEqual({ status: 404, body: { error: 'no event with sequence number 99 in the history', parameter: 'seq-num' } });
  });

  test('since/until select by Unix seconds (the processing time overlapping the window)', async () => {
    const firstSecond = Math.floor(records[0].processingStart / 1000);
    const lastSecond = Math.floor(records[5].processingEnd / 1000);
    expect(await seqNums(`?since=${firstSecond}&until=${lastSecond}`)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await seqNums('?since=0')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await seqNums(`?since=${lastSecond + 1}`)).toEqual([]);
    expect(await seqNums(`?until=${firstSecond - 1}`)).toEqual([]);
    expect(await seqNums(`?until=${lastSecond}`)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('from/to select sequence numbers inclusively, each bound optional', async () => {
    expect(await seqNums('?from=1&to=3')).toEqual([1, 2, 3]);
    expect(await seqNums('?from=4')).toEqual([4, 5]);
    expect(await seqNums('?to=1')).toEqual([0, 1]);
    expect(await seqNums('?from=2&to=2')).toEqual([2]);
  });

  test('first and last select the oldest and the newest records', async () => {
    expect(await seqNums('?first=2')).toEqual([0, 1]);
    expect(await seqNums('?last=2')).toEqual([4, 5]);
    expect(await seqNums('?last=0')).toEqual([]);
    expect(await seqNums('?first=100')).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('parameters apply by precedence: seq-num, since/until, from/to, first, last', async () => {
    expect(await seqNums('?first=3&seq-num=4&from=0&since=0&last=1')).toEqual([4]);
    expect(await seqNums('?from=2&to=3&since=0')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await seqNums('?first=1&from=2&to=3')).toEqual([2, 3]);
    expect(await seqNums('?last=1&first=2')).toEqual([0, 1]);
  });

  test.each([
    ['?seq-num=abc', 'seq-num', 'expected a non-negative integer'],
    ['?first=-1', 'first', 'must not be negative'],
    ['?last=-3', 'last', 'must not be negative'],
    ['?since=-1', 'since', 'must not be negative'],
    ['?until=1.5', 'until', 'expected a non-negative integer'],
    ['?from=1e3', 'from', 'expected a non-negative integer'],
    ['?to=', 'to', 'expected a non-negative integer'],
    ['?first=0x10', 'first', 'expected a non-negative integer'],
    ['?seq-num=99999999999999999999', 'seq-num', 'too large'],
    ['?seq-num=1&seq-num=2', 'seq-num', 'given more than once'],
    ['?seqNum=1', 'seqNum', 'unknown parameter'],
    ['?from=3&to=1', 'to', 'must not be below from (3)'],
    ['?since=20&until=10', 'until', 'must not be before since (20)'],
    // Validated even when a parameter of higher precedence decides: a typo must not pass silently.
    ['?seq-num=1&last=x', 'last', 'expected a non-negative integer'],
  ])('%s is a 400 naming the parameter "%s"', async (query, parameter, reason) => {
    const { status, body } = await history(query);
    expect(status).toBe(400);
    expect(body).toEqual({ error: expect.stringContaining(`invalid parameter "${parameter}"`), parameter });
    expect((body as { error: string }).error).toContain(reason);
  });
});

describe('REST server: probes, state, resync, metrics', () => {
  test('/readyz is 503 until the startup resync is processed, then 200; /livez is 200 throughout', async () => {
    const { controller, rest } = await startStack({});
    const before = await getJson(`${rest.url}/readyz`);
    expect(before).toMatchObject({ status: 503, body: { ready: false, live: true, state: 'awaitingStartupResync' } });
    expect(await getJson(`${rest.url}/livez`)).toMatchObject({ status: 200, body: { live: true } });

    controller.pushEvent(new DBResync({}));
    await waitForIdle(controller, 1);
    expect(await getJson(`${rest.url}/readyz`)).toEqual({ status: 200, body: { state: 'idle', ready: true, live: true, southboundAvailable: true }, headers: expect.anything() });
    expect(await getJson(`${rest.url}/livez`)).toMatchObject({ status: 200, body: { live: true } });
  });

  test('/livez (and /readyz) is 503 with the fatal reason once the controller is fatal', async () => {
    const handler = recordingHandler('h', [], {
      update: () => {
        throw new FatalError(new Error('dataplane gone'));
      },
    });
    const { controller, rest } = await startStack({ handlers: [handler] });
    controller.pushEvent(new DBResync({}));
    await waitForIdle(controller, 1);
    controller.pushEvent(new TestUpdate('Breaks'));
    await waitFor(() => controller.health().state === 'fatal', 'fatal');
    const live = await getJson(`${rest.url}/livez`);
    expect(live).toMatchObject({ status: 503, body: { state: 'fatal', live: false, ready: false, error: 'dataplane gone' } });
    expect(await getJson(`${rest.url}/readyz`)).toMatchObject({ status: 503, body: { ready: false } });
    const metrics = parseExposition(await (await fetch(`${rest.url}/metrics`)).text());
    expect(sampleValue(metrics, `${DEFAULT_METRICS_PREFIX}fatal`)).toBe(1);
  });

  test('/controller/state gives the health, the machine\'s full state value and the queue depths', async () => {
    const { controller, rest } = await startStack({});
    controller.pushEvent(new DBResync({}));
    await waitForIdle(controller, 1);
    const { status, body } = await getJson(`${rest.url}/controller/state`);
    expect(status).toBe(200);
    expect(body).toEqual({
      state: 'idle',
      ready: true,
      live: true,
      southboundAvailable: true,
      machineState: JSON.parse(JSON.stringify(controller.actor.getSnapshot().value)),
      queueDepths: { main: 0, followUp: 0, delayed: 0 },
    });
    expect(body).toMatchObject({ machineState: { running: { loop: 'idle' } } });
  });

  test('POST /controller/resync asks for a resync (202) that shows up in the history', async () => {
    let controller: Controller | undefined;
    let requested = 0;
    const stack = await startStack({
      rest: {
        requestResync: () => {
          requested++;
          controller?.pushEvent(new DBResync({}));
        },
      },
    });
    controller = stack.controller;
    const { status, body } = await getJson(`${stack.rest.url}/controller/resync`, { method: 'POST' });
    expect({ status, body }).toEqual({ status: 202, body: { status: 'resync requested' } });
    expect(requested).toBe(1);
    await waitForIdle(controller, 1);
    expect(controller.eventHistory().map((r) => r.name)).toEqual(['Database Resync']);
  });

  test('POST /controller/resync is 503 with a JSON error when no DB watcher is wired', async () => {
    const { rest } = await startStack({});
    const { status, body } = await getJson(`${rest.url}/controller/resync`, { method: 'POST' });
    expect(status).toBe(503);
    expect(body).toEqual({ error: expect.stringContaining('no DB watcher') });
  });

  test('POST /controller/resync is a 500 with the reason as JSON when the resync cannot be requested', async () => {
    const { rest } = await startStack({
      rest: {
        requestResync: () => {
          throw new Error('watcher is closed');
        },
      },
    });
    const { status, body } = await getJson(`${rest.url}/controller/resync`, { method: 'POST' });
    expect({ status, body }).toEqual({ status: 500, body: { error: 'watcher is closed' } });
  });

  test('with a bearer token, POST routes are 401 without it or with a wrong one, 202 with it; GET routes stay open', async () => {
    let requested = 0;
    const { rest } = await startStack({ rest: { token: 's3cret-token', requestResync: () => requested++ } });
    const resync = (headers?: Record<string, string>) => getJson(`${rest.url}/controller/resync`, { method: 'POST', headers });

    const missing = await resync();
    expect({ status: missing.status, body: missing.body }).toEqual({ status: 401, body: { error: 'missing bearer token' } });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="contiv-controller"');
    for (const authorization of ['Bearer wrong-token', 'Bearer s3cret-token-and-more', 'Basic czNjcmV0LXRva2Vu', 's3cret-token']) {
      const wrong = await resync({ authorization });
      expect([authorization, wrong.status, wrong.body]).toEqual([authorization, 401, { error: 'invalid bearer token' }]);
      expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    expect(requested).toBe(0);

    expect((await resync({ authorization: 'Bearer s3cret-token' })).status).toBe(202);
    expect(requested).toBe(1);
    expect((await getJson(`${rest.url}/controller/event-history`)).status).toBe(200);
    expect((await getJson(`${rest.url}/livez`)).status).toBe(200);
  });

  test('/metrics serves the Prometheus text that counts the processed events', async () => {
    const { controller, rest } = await startStack({});
    controller.pushEvent(new DBResync({}));
    controller.pushEvent(new TestUpdate('Hello'));
    await waitForIdle(controller, 2);
    const response = await fetch(`${rest.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const metrics = parseExposition(await response.text());
    expect(sampleValue(metrics, `${DEFAULT_METRICS_PREFIX}events_processed_total`, { event: 'hello', result: 'ok' })).toBe(1);
    expect(sampleValue(metrics, `${DEFAULT_METRICS_PREFIX}resyncs_total`, { type: 'full' })).toBe(1);
    expect(sampleValue(metrics, `${DEFAULT_METRICS_PREFIX}state`, { state: 'idle' })).toBe(1);
  });

  test('an unknown route is a 404 with a JSON error', async () => {
    const { rest } = await startStack({});
    expect(await getJson(`${rest.url}/controller/nothing`)).toMatchObject({ status: 404, body: { error: 'no route GET /controller/nothing' } });
  });

  test('requests are logged through the given pino logger, at debug level, tagged component=rest', async () => {
    const { logger, lines } = capturingLogger();
    const { rest } = await startStack({ rest: { logger } });
    await fetch(`${rest.url}/livez`);
    await waitFor(() => lines.some((l) => l.msg === 'REST request completed'), 'the request log line');
    const line = lines.find((l) => l.msg === 'REST request completed');
    expect(line).toMatchObject({ level: 20, component: 'rest', method: 'GET', url: '/livez', statusCode: 200 });
    expect(lines.some((l) => l.msg === 'incoming request')).toBe(false);
  });
});

describe('REST server: start-up errors', () => {
  async function controllerAndMetrics(): Promise<Pick<RestServerOptions, 'controller' | 'metrics'>> {
    const controller = await startController({ handlers: [recordingHandler('h', [])], southbound: new InMemorySouthbound() });
    cleanups.push(() => controller.close());
    const metrics = new ControllerMetrics({ controller });
    cleanups.push(() => metrics.close());
    return { controller, metrics };
  }

  test('a port in use is a RestPortInUseError naming the port and the host, with the system error as its cause', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const error: unknown = await startRestServer({ ...(await controllerAndMetrics()), port: address.port, logger: silent }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestPortInUseError);
    expect(error).toBeInstanceOf(RestServerError);
    expect((error as Error).message).toBe(`REST port ${address.port} is in use (on 127.0.0.1)`);
    expect((error as Error).cause).toMatchObject({ code: 'EADDRINUSE' });
  });

  test('a host that is not an address of this machine is a RestAddressUnavailableError', async () => {
    // TEST-NET-1 (RFC 5737): never assigned to a local interface.
    const error: unknown = await startRestServer({ ...(await controllerAndMetrics()), host: '192.0.2.1', port: 0, logger: silent }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestAddressUnavailableError);
    expect((error as Error).message).toBe('REST host 192.0.2.1 is not an address of this machine');
  });

  test('an empty token or a bad port is refused before listening', async () => {
    const base = { ...(await controllerAndMetrics()), logger: silent };
    await expect(startRestServer({ ...base, port: 0, token: ' ' })).rejects.toThrow(new RestServerError('the REST bearer token must not be empty'));
    await expect(startRestServer({ ...base, port: 70000 })).rejects.toThrow(RestServerError);
    await expect(startRestServer({ ...base, port: -1 })).rejects.toThrow('invalid REST port -1');
  });
});
