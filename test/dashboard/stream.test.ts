import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import { Root } from 'protobufjs';
import { dashboardPlugin } from '../../src/agent/dashboard/plugin';
import type { StreamMessage } from '../../src/agent/dashboard/protocol';
import { DBResync, KubeStateChange } from '../../src/api/events';
import type { Event } from '../../src/api/event';
import type { EventHandler } from '../../src/api/handler';
import type { ResyncOperations, UpdateOperations } from '../../src/api/transaction';
import type { KubeStateData } from '../../src/api/types';
import { createController, type Controller } from '../../src/controller';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { SouthboundAdminClient } from '../../src/southbound/grpc/adminClient';
import { GrpcSouthbound } from '../../src/southbound/grpc/client';
import { waitFor } from '../support/waitFor';

const types = Root.fromJSON({
  nested: {
    dashtest: {
      nested: {
        Port: { fields: { name: { type: 'string', id: 1 } } },
        Pod: { fields: { name: { type: 'string', id: 1 }, namespace: { type: 'string', id: 2 } } },
      },
    },
  },
});
const Port = types.lookupType('dashtest.Port');
const Pod = types.lookupType('dashtest.Pod');
const portKey = (kubeKey: string) => `config/ports/${kubeKey.replace(/\//g, '_')}`;

/** One southbound value per pod. */
const ports: EventHandler = {
  name: 'ports',
  handlesEvent: (event: Event) => event instanceof DBResync || (event instanceof KubeStateChange && event.resource === 'pod'),
  resync(_event: Event, kubeState: KubeStateData, _count: number, txn: ResyncOperations) {
    for (const key of kubeState.get('pod')?.keys() ?? []) txn.put(portKey(key), Port.create({ name: key }));
  },
  update(event: Event, txn: UpdateOperations) {
    const change = event as KubeStateChange;
    if (change.newValue) txn.put(portKey(change.key), Port.create({ name: change.key }));
    else txn.delete(portKey(change.key));
    return `port for ${change.key}`;
  },
  revert() {},
};

function podChange(name: string, deleted = false): KubeStateChange {
  const value = Pod.create({ name, namespace: 'default' });
  return new KubeStateChange({ resource: 'pod', key: `k8s/pod/${name}/namespace/default`, prevValue: deleted ? value : undefined, newValue: deleted ? undefined : value });
}

/** Reads a dashboard stream with fetch, as the page does, keeping every message. */
class StreamReader {
  readonly messages: StreamMessage[] = [];
  ended = false;

  constructor(
    readonly status: number,
    body: ReadableStream<Uint8Array> | null,
    private readonly abort: AbortController,
  ) {
    if (body) void this.read(body);
  }

  static async open(url: string): Promise<StreamReader> {
    const abort = new AbortController();
    const response = await fetch(url, { signal: abort.signal });
    return new StreamReader(response.status, response.body, abort);
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        const frames = buffer.split('\n\n');
        buffer = frames.pop() ?? '';
        for (const frame of frames) if (frame.startsWith('data: ')) this.messages.push(JSON.parse(frame.slice(6)) as StreamMessage);
      }
    } catch {
      // Aborted by the test.
    }
    this.ended = true;
  }

  of<T extends StreamMessage['type']>(type: T): Extract<StreamMessage, { type: T }>[] {
    return this.messages.filter((m): m is Extract<StreamMessage, { type: T }> => m.type === type);
  }

  /** The state of a southbound value as the page would have it after every message so far. */
  valueState(key: string): string | undefined {
    let state: string | undefined;
    for (const m of this.messages) {
      if (m.type === 'hello' || m.type === 'valuesSnapshot') state = m.values.entries.find((e) => e.key === key)?.state;
      if (m.type === 'values') {
        if (m.removed.includes(key)) state = undefined;
        state = m.changes.find((e) => e.key === key)?.state ?? state;
      }
    }
    return state;
  }

  close(): void {
    this.abort.abort();
  }
}

let southbound: SouthboundServer;
let client: GrpcSouthbound;
let controller: Controller;
let app: FastifyInstance;
let url: string;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  southbound = await SouthboundServer.start({ listen: '127.0.0.1:0', logger });
  client = new GrpcSouthbound({ address: southbound.address, types, logger });
  controller = createController({ handlers: [ports], southbound: client, logger, config: { delayAfterErrorHealing: 200, delayRetry: 100 } });
  await controller.start();
  controller.pushEvent(new DBResync({ kubeState: new Map([['pod', new Map([['k8s/pod/first/namespace/default', Pod.create({ name: 'first', namespace: 'default' })]])]]) }));
  await waitFor(() => controller.health().ready, 'the startup resync');
  app = Fastify({ loggerInstance: logger as FastifyBaseLogger, forceCloseConnections: 'idle' });
  await app.register(dashboardPlugin, { controller, southbound: client, logger, sampleIntervalMs: 50 });
  url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/dashboard/api/stream`;
});

afterAll(async () => {
  await app?.close();
  await controller?.close();
  await client?.close();
  await southbound?.stop();
});

test('a page gets a hello with the history and the machine, then every event, state change and value state live', async () => {
  const stream = await StreamReader.open(url);
  expect(stream.status).toBe(200);
  await waitFor(() => stream.messages.length > 0, 'the hello');
  const hello = stream.messages[0];
  if (hello.type !== 'hello') throw new Error(`first message is ${hello.type}`);
  expect(hello.events.map((e) => e.name)).toEqual(['Database Resync']);
  expect(hello.state.activeStates).toContain('controller.running.loop.idle');
  // The value states come once the watch is open and the southbound dumped.
  const first = portKey('k8s/pod/first/namespace/default');
  await waitFor(() => stream.valueState(first) === 'CONFIGURED', 'the resync value in the stream');

  controller.pushEvent(podChange('second'));
  const second = portKey('k8s/pod/second/namespace/default');
  await waitFor(() => stream.of('event').some((m) => m.event.subject === 'k8s/pod/second/namespace/default'), 'the event');
  await waitFor(() => stream.valueState(second) === 'CONFIGURED', 'its value');
  expect(stream.of('event').find((m) => m.event.subject === 'k8s/pod/second/namespace/default')?.event.result).toBe('ok');
  // The machine went through updating and back.
  expect(stream.of('state').some((m) => m.state.state === 'updating')).toBe(true);
  await waitFor(() => stream.of('state').at(-1)?.state.state === 'idle', 'idle again');
  stream.close();
});

test('a value the southbound fails and retries shows its states as they change, and its removal', async () => {
  const stream = await StreamReader.open(url);
  await waitFor(() => stream.messages.length > 0, 'the hello');
  const admin = new SouthboundAdminClient({ address: southbound.address });
  const flaky = portKey('k8s/pod/flaky/namespace/default');
  try {
    await admin.injectFault({ keyPattern: `^${flaky}$`, times: 1, error: 'injected for the dashboard' });
    controller.pushEvent(podChange('flaky'));
    await waitFor(() => stream.of('event').some((m) => m.event.subject === 'k8s/pod/flaky/namespace/default' && m.event.result === 'error'), 'the failed event');
    const states = () => stream.of('values').flatMap((m) => m.changes.filter((e) => e.key === flaky).map((e) => e.state));
    await waitFor(() => states().includes('CONFIGURED'), 'the retried value configured');
    expect(states().some((state) => state === 'RETRYING' || state === 'FAILED')).toBe(true);
    const failedChange = stream.of('values').flatMap((m) => m.changes).find((e) => e.key === flaky && e.error !== undefined);
    expect(failedChange?.error).toContain('injected for the dashboard');

    controller.pushEvent(podChange('flaky', true));
    await waitFor(() => stream.of('values').some((m) => m.removed.includes(flaky)), 'the removal');
    expect(stream.valueState(flaky)).toBeUndefined();
  } finally {
    admin.close();
    stream.close();
  }
});

test('the event routes give one event in full and ranges of summaries, and refuse bad parameters', async () => {
  const base = url.replace(/\/stream$/, '');
  const detail = await fetch(`${base}/events/0`);
  expect(detail.status).toBe(200);
  expect(await detail.json()).toMatchObject({ summary: { seqNum: 0, name: 'Database Resync' }, method: 'FullResync', txn: { valuesTotal: 1 } });
  expect((await fetch(`${base}/events/99999`)).status).toBe(404);
  const page = (await (await fetch(`${base}/events?from=0&to=1&limit=1`)).json()) as { events: { seqNum: number }[]; more: boolean };
  expect(page).toMatchObject({ events: [{ seqNum: 0 }], more: true });
  expect(await (await fetch(`${base}/events?from=-1`)).json()).toMatchObject({ parameter: 'from' });
  expect((await fetch(`${base}/events?seq=1`)).status).toBe(400);
});

test('closing the server ends the open streams instead of waiting for them', async () => {
  const stream = await StreamReader.open(url);
  await waitFor(() => stream.messages.length > 0, 'the hello');
  await app.close();
  await waitFor(() => stream.ended, 'the stream to end');
});
