import { Writable } from 'node:stream';
import type { ControllerView, EventSummary, StreamMessage, ValueEntry } from '../../src/agent/dashboard/protocol';
import { StreamOutbox, type OutboxLimits } from '../../src/agent/dashboard/streamOutbox';
import { waitFor } from '../support/waitFor';

/** A real writable stream standing for a page's connection: it holds every chunk until released. */
class HeldConnection extends Writable {
  readonly frames: string[] = [];
  private held: (() => void)[] = [];
  private flowing = false;

  constructor(highWaterMark: number) {
    super({ highWaterMark, decodeStrings: false });
  }

  override _write(chunk: string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.frames.push(chunk);
    if (this.flowing) setImmediate(callback);
    else this.held.push(callback);
  }

  release(): void {
    this.flowing = true;
    for (const callback of this.held.splice(0)) callback();
  }

  messages(): StreamMessage[] {
    return this.frames.join('').split('\n\n').filter((frame) => frame.startsWith('data: ')).map((frame) => JSON.parse(frame.slice(6)) as StreamMessage);
  }
}

const LIMITS: OutboxLimits = {
  highWaterBytes: 2048,
  maxPendingEvents: 10,
  maxPendingStates: 3,
  maxPendingValues: 5,
  maxValuesInSnapshot: 100,
  helloEvents: 10,
  valuesPerMessage: 50,
};

function event(seqNum: number): EventSummary {
  return { seqNum, name: 'Kubernetes State Change', subject: `k8s/pod/p${seqNum}/namespace/default`, start: seqNum, end: seqNum + 1, result: 'ok', tags: [] };
}

function state(n: number): ControllerView {
  return {
    activeStates: ['controller.running', 'controller.running.loop', 'controller.running.loop.updating'],
    state: 'updating',
    ready: true,
    live: true,
    southboundAvailable: true,
    queueDepths: { main: n, followUp: 0, delayed: 0 },
    healing: { state: 'clear', outageBackoffMs: 1000 },
  };
}

function value(key: string, valueState = 'CONFIGURED'): ValueEntry {
  return { key, state: valueState };
}

const values = new Map<string, ValueEntry>();
const sources = {
  valuesSnapshot: () => ({ entries: [...values.values()], counts: { byState: { CONFIGURED: values.size }, total: values.size, truncated: false }, loading: false }),
  valueCounts: () => ({ byState: { CONFIGURED: values.size }, total: values.size, truncated: false }),
};

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('a page that stops reading costs bounded memory: old events are dropped, the latest state kept, value changes become one snapshot; then it is told what it missed', async () => {
  const connection = new HeldConnection(LIMITS.highWaterBytes);
  let clock = 1000;
  const outbox = new StreamOutbox(connection, LIMITS, sources, () => clock);
  for (let i = 0; i < 1000; i++) {
    outbox.pushEvent(event(i));
    if (i % 10 === 0) outbox.pushState(state(i));
    values.set(`config/k${i}`, value(`config/k${i}`));
    outbox.pushValue(value(`config/k${i}`), false);
    if (i % 100 === 0) await turn();
  }
  await turn();
  // Nothing grows past its cap while the page reads nothing.
  expect(outbox.pending).toBeLessThanOrEqual(LIMITS.maxPendingEvents + LIMITS.maxPendingStates + 1);
  expect(connection.writableLength).toBeLessThan(LIMITS.highWaterBytes + 1024);
  expect(connection.writableNeedDrain).toBe(true);
  // The route disconnects a page stalled for too long: the outbox says for how long.
  clock += 5000;
  expect(outbox.stalledFor()).toBe(5000);

  connection.release();
  await waitFor(() => outbox.pending === 0 && !connection.writableNeedDrain, 'the outbox to empty');
  expect(outbox.stalledFor()).toBe(0);
  const messages = connection.messages();
  const events = messages.flatMap((m) => (m.type === 'event' ? [m.event.seqNum] : []));
  const behind = messages.filter((m): m is Extract<StreamMessage, { type: 'behind' }> => m.type === 'behind');
  const dropped = behind.reduce((sum, m) => sum + (m.droppedEvents?.count ?? 0), 0);
  // Every event is either delivered (in order) or counted as dropped; the newest ones are delivered.
  expect(events).toEqual([...events].sort((a, b) => a - b));
  expect(events.length + dropped).toBe(1000);
  expect(dropped).toBeGreaterThan(0);
  expect(events.slice(-LIMITS.maxPendingEvents)).toEqual(Array.from({ length: LIMITS.maxPendingEvents }, (_, i) => 990 + i));
  expect(behind.some((m) => m.coalescedStates > 0 && m.valuesResent)).toBe(true);
  // The latest state goes out last, and the values arrive whole in one snapshot.
  const states = messages.flatMap((m) => (m.type === 'state' ? [m.state.queueDepths.main] : []));
  expect(states[states.length - 1]).toBe(990);
  const snapshots = messages.filter((m) => m.type === 'valuesSnapshot');
  expect(snapshots.length).toBeGreaterThanOrEqual(1);
  outbox.close();
  values.clear();
});

test('value changes of one key waiting together go out once, with the latest state', async () => {
  const connection = new HeldConnection(64 * 1024);
  connection.release();
  const outbox = new StreamOutbox(connection, LIMITS, sources);
  for (const valueState of ['PENDING', 'RETRYING', 'FAILED', 'CONFIGURED']) outbox.pushValue(value('config/tap', valueState), false);
  outbox.pushValue(value('config/gone'), true);
  await waitFor(() => outbox.pending === 0, 'the outbox to empty');
  await turn();
  const sent = connection.messages().filter((m) => m.type === 'values');
  expect(sent).toEqual([{ type: 'values', changes: [value('config/tap', 'CONFIGURED')], removed: ['config/gone'], counts: sources.valueCounts() }]);
  expect(connection.messages().some((m) => m.type === 'behind')).toBe(false);
  outbox.close();
});

test('a closed outbox writes nothing more', async () => {
  const connection = new HeldConnection(64 * 1024);
  connection.release();
  const outbox = new StreamOutbox(connection, LIMITS, sources);
  outbox.close();
  outbox.pushEvent(event(1));
  outbox.pushState(state(1));
  await turn();
  expect(connection.frames).toEqual([]);
});
