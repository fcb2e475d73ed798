import { DBResync, InMemorySouthbound, type Controller } from '../../src';
import { ControllerMetrics, DEFAULT_METRICS_PREFIX } from '../../src/agent/metrics';
import { OTHER_EVENT_LABEL } from '../../src/agent/metricLabels';
import { recordingHandler, startController, TestUpdate } from '../support/harness';
import { gate, waitFor } from '../support/waitFor';
import { parseExposition, sampleValue, type Exposition } from './exposition';

/**
 * The metrics an operator of controller-runtime already reads, with our prefix: queue adds and
 * refusals, queue wait time, the longest-running event, handler calls, bounded event labels, the
 * build and the process.
 */

const P = DEFAULT_METRICS_PREFIX;
let controller: Controller | undefined;
let metrics: ControllerMetrics | undefined;

afterEach(async () => {
  metrics?.close();
  await controller?.close();
  controller = metrics = undefined;
});

async function scrape(): Promise<Exposition> {
  return parseExposition(await (metrics as ControllerMetrics).registry.metrics());
}

test('queue adds and refusals per queue, queue wait time, and the event running for a while while a handler blocks', async () => {
  const blocker = gate();
  const c = await startController({
    handlers: [recordingHandler('h', [], { update: async (event) => (event.getName() === 'Blocker' ? blocker.promise : undefined) })],
    southbound: new InMemorySouthbound(),
    config: { eventQueueSize: 3 },
  });
  controller = c;
  metrics = new ControllerMetrics({ controller: c });
  c.pushEvent(new DBResync({}));
  await waitFor(() => c.eventHistory().length === 1 && c.health().state === 'idle', 'the startup resync');
  c.pushEvent(new TestUpdate('Blocker'));
  await waitFor(() => c.currentEvent()?.name === 'Blocker', 'the blocker running');
  for (let n = 0; n < 3; n++) c.pushEvent(new TestUpdate('Queued'));
  const queuedAt = Date.now();
  expect(() => c.pushEvent(new TestUpdate('Refused'))).toThrow();

  // The queued events (pushed after the blocker started) wait at least this long.
  await waitFor(() => Date.now() - queuedAt > 25, 'the queued events waiting for a moment');
  let m = await scrape();
  expect(sampleValue(m, `${P}queue_adds_total`, { queue: 'main' })).toBe(5);
  expect(sampleValue(m, `${P}queue_adds_total`, { queue: 'follow_up' })).toBe(0);
  expect(sampleValue(m, `${P}queue_refused_total`, { queue: 'main' })).toBe(1);
  expect(sampleValue(m, `${P}queue_depth`, { queue: 'main' })).toBe(3);
  expect(sampleValue(m, `${P}longest_running_event_seconds`)).toBeGreaterThan(0.02);

  blocker.open();
  await waitFor(() => c.eventHistory().length === 5 && c.health().state === 'idle', 'the queue drained');
  m = await scrape();
  expect(sampleValue(m, `${P}longest_running_event_seconds`)).toBe(0);
  // The three queued events waited behind the blocker; every event's wait (the startup resync's too) is observed once.
  expect(sampleValue(m, `${P}queue_wait_seconds_count`, { queue: 'main' })).toBe(5);
  expect(sampleValue(m, `${P}queue_wait_seconds_sum`, { queue: 'main' })).toBeGreaterThan(0.02 * 3);
  expect(sampleValue(m, `${P}handler_calls_total`, { handler: 'h', operation: 'update' })).toBe(4);
  expect(sampleValue(m, `${P}handler_calls_total`, { handler: 'h', operation: 'resync' })).toBe(1);
});

test('event labels are machine-friendly and bounded: built-in events by a fixed word, the user\'s in snake case, the rest as "other"', async () => {
  const c = await startController({ handlers: [recordingHandler('h', [])], southbound: new InMemorySouthbound() });
  controller = c;
  metrics = new ControllerMetrics({ controller: c, maxEventLabels: 2 });
  c.pushEvent(new DBResync({}));
  for (const name of ['Pod MTU Change', 'PodMtuChange', 'Third Kind', 'Fourth Kind']) c.pushEvent(new TestUpdate(name));
  await waitFor(() => c.eventHistory().length === 5 && c.health().state === 'idle', 'all processed');
  const m = await scrape();
  const labels = m.samples.filter((s) => s.name === `${P}events_processed_total`).map((s) => s.labels.event);
  expect(labels.sort()).toEqual(['db_resync', OTHER_EVENT_LABEL, 'pod_mtu_change'].sort());
  expect(sampleValue(m, `${P}events_processed_total`, { event: 'pod_mtu_change' })).toBe(2);
  expect(sampleValue(m, `${P}events_processed_total`, { event: OTHER_EVENT_LABEL })).toBe(2);
  for (const s of m.samples) for (const value of Object.values(s.labels)) expect(value).not.toMatch(/\s/);
});

test('process metrics on request: build_info with the version, and the default process and Node.js metrics', async () => {
  const c = await startController({ handlers: [], southbound: new InMemorySouthbound() });
  controller = c;
  metrics = new ControllerMetrics({ controller: c, processMetrics: true });
  const m = await scrape();
  const info = m.samples.find((s) => s.name === `${P}build_info`);
  expect(info?.value).toBe(1);
  expect(info?.labels).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown as string, node_version: process.version });
  for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
    expect([name, m.types.has(name)]).toEqual([name, true]);
  }
  expect(m.types.has('nodejs_active_handles_total')).toBe(false);
  expect(m.types.has('nodejs_active_handles')).toBe(true);
});
