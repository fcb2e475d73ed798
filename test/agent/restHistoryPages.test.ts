import pino from 'pino';
import { DBResync, InMemorySouthbound, type Controller } from '../../src';
import { ControllerMetrics } from '../../src/agent/metrics';
import { DEFAULT_HISTORY_PAGE_SIZE, MAX_HISTORY_PAGE_SIZE } from '../../src/agent/rest/historyQuery';
import { startRestServer, type RestServer } from '../../src/agent/rest/server';
import { recordingHandler, startController, TestUpdate } from '../support/harness';
import { waitFor } from '../support/waitFor';

/** GET /controller/event-history in pages, and the REST API's checks that come before any body is read. */

let controller: Controller;
let metrics: ControllerMetrics;
let rest: RestServer;

beforeAll(async () => {
  controller = await startController({ handlers: [recordingHandler('h', [])], southbound: new InMemorySouthbound() });
  metrics = new ControllerMetrics({ controller });
  rest = await startRestServer({ controller, metrics, port: 0, token: 's3cret', requestResync: () => undefined, logger: pino({ level: 'silent' }) });
  controller.pushEvent(new DBResync({}));
  for (let n = 1; n < 250; n++) controller.pushEvent(new TestUpdate(`U${n}`));
  await waitFor(() => controller.eventHistory().length === 250 && controller.health().state === 'idle', '250 events processed');
});

afterAll(async () => {
  await rest.close();
  metrics.close();
  await controller.close();
});

async function page(path: string): Promise<{ status: number; seqNums: number[]; next?: string; body: unknown }> {
  const response = await fetch(`${rest.url}${path}`);
  const body = (await response.json()) as unknown;
  const next = /<([^>]+)>; rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
  const seqNums = Array.isArray(body) ? (body as { seqNum: number }[]).map((r) => r.seqNum) : [];
  return { status: response.status, seqNums, body, ...(next !== undefined && { next }) };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test(`no parameter: the first ${DEFAULT_HISTORY_PAGE_SIZE} records and a Link to the next page, which goes on to the end`, async () => {
  const first = await page('/controller/event-history');
  expect(first.seqNums).toEqual(range(0, DEFAULT_HISTORY_PAGE_SIZE - 1));
  expect(first.next).toBe(`/controller/event-history?limit=${DEFAULT_HISTORY_PAGE_SIZE}&cursor=${DEFAULT_HISTORY_PAGE_SIZE - 1}.249`);
  const seen = [...first.seqNums];
  for (let next = first.next; next !== undefined; ) {
    const more = await page(next);
    seen.push(...more.seqNums);
    next = more.next;
  }
  expect(seen).toEqual(range(0, 249));
});

test('the selection parameters keep working, and a cursor keeps to the selection made by the first page while events come in', async () => {
  const first = await page('/controller/event-history?last=120&limit=50');
  expect(first.seqNums).toEqual(range(130, 179));
  expect(first.next).toBe('/controller/event-history?last=120&limit=50&cursor=179.249');
  // New events: "the last 120" now means others, but the pages go on with the first page's.
  for (let n = 0; n < 30; n++) controller.pushEvent(new TestUpdate('Later'));
  await waitFor(() => controller.eventHistory().length === 280 && controller.health().state === 'idle', 'later events');
  const second = await page(first.next ?? '');
  expect(second.seqNums).toEqual(range(180, 229));
  const third = await page(second.next ?? '');
  expect(third.seqNums).toEqual(range(230, 249));
  expect(third.next).toBeUndefined();

  expect((await page('/controller/event-history?from=10&to=14&limit=2')).seqNums).toEqual([10, 11]);
  expect((await page('/controller/event-history?seq-num=7')).seqNums).toEqual([7]);
  expect((await page('/controller/event-history?first=3')).next).toBeUndefined();
  expect((await page(`/controller/event-history?limit=${MAX_HISTORY_PAGE_SIZE}`)).seqNums).toHaveLength(280);
});

test.each([
  ['limit=0', 'limit'],
  [`limit=${MAX_HISTORY_PAGE_SIZE + 1}`, 'limit'],
  ['limit=ten', 'limit'],
  ['cursor=12', 'cursor'],
  ['cursor=9.3', 'cursor'],
  ['cursor=1.2&cursor=3.4', 'cursor'],
])('?%s is a 400 naming the parameter "%s"', async (query, parameter) => {
  const answer = await page(`/controller/event-history?${query}`);
  expect(answer.status).toBe(400);
  expect(answer.body).toMatchObject({ parameter });
});

test('POST /controller/resync without the token is 401 before its body is read: a malformed body does not get a 400 first', async () => {
  const unauthenticated = await fetch(`${rest.url}/controller/resync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"not json' });
  expect(unauthenticated.status).toBe(401);
  expect(await unauthenticated.json()).toEqual({ error: 'missing bearer token' });
  const authenticated = await fetch(`${rest.url}/controller/resync`, { method: 'POST', headers: { authorization: 'Bearer s3cret', 'content-type': 'application/json' }, body: '{"not json' });
  expect(authenticated.status).toBe(400);
});
