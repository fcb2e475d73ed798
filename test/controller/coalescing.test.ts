/**
 * Burst coalescing: consecutive queued best-effort updates go through the handlers one by one,
 * each with its own record, change lines and done(), and their transactions go to the southbound
 * as one commit. Properties: strict and coalesced modes agree on every event's result and on
 * the southbound's state; with key failures, an event fails exactly when its own keys failed,
 * and both modes converge after healing.
 */
import fc from 'fast-check';
import pino from 'pino';
import {
  createController,
  DBResync,
  ExternalConfigChange,
  HealingResync,
  InvalidSouthboundError,
  KubeStateChange,
  SouthboundUnavailableError,
  UpdateTransactionType,
  type CommitRequest,
  type CommitResult,
  type Controller,
  type ControllerConfig,
  type Event,
  type EventRecord,
  type Southbound,
} from '../../src';
import { InMemorySouthbound } from '../../src/southbound/memory';
import { jsonMap, pod, value } from '../support/messages';
import { expectedSouthbound, namespaceHandler, podHandler, type FailureScript } from '../support/modelPodConfig';
import { quiet, scenario, World, type Scenario } from '../support/podScenario';
import { gate, waitFor } from '../support/waitFor';
import { memoryFixture, names, recordingHandler, startController, TestUpdate, waitForHistory } from '../support/harness';
import { grpcFixture } from '../southbound/grpcFixture';

const podAdded = (name: string) => new KubeStateChange({ key: name, resource: 'pod', newValue: pod(name) });

describe('coalescing', () => {
  let controller: Controller | undefined;
  const calls: string[] = [];
  let releaseOnFailure: (() => void) | undefined;
  afterEach(async () => {
    releaseOnFailure?.();
    releaseOnFailure = undefined;
    await controller?.close();
    controller = undefined;
    calls.length = 0;
  });

  /** A controller past its startup resync (whose commit is released), committing to `southbound`. */
  async function pastStartup(southbound: HeldSouthbound, config: Partial<ControllerConfig>): Promise<Controller> {
    releaseOnFailure = () => southbound.releaseAll();
    const started = await startController({ handlers: [podConfig()], southbound, config });
    controller = started;
    started.pushEvent(new DBResync({}));
    await waitFor(() => southbound.held.length === 1, 'the startup resync commit');
    southbound.release(0);
    await waitForHistory(started, 1);
    calls.length = 0;
    return started;
  }

  /** A handler that holds the first update until `hold` opens, so that a burst queues behind it. */
  function podConfig(hold?: Promise<void>) {
    let first = true;
    return recordingHandler('pods', calls, {
      update: async (ev, txn) => {
        if (first && hold) {
          first = false;
          await hold;
        }
        if (ev instanceof KubeStateChange && ev.newValue) txn.put(`cfg/${ev.key}`, value({ name: ev.key }));
        return ev instanceof KubeStateChange ? `put cfg/${ev.key}` : '';
      },
      resync: (_ev, kubeState, _n, txn) => {
        for (const key of kubeState.get('pod')?.keys() ?? []) txn.put(`cfg/${key}`, value({ name: key }));
      },
    });
  }

  test('a queued burst of updates: one commit, one record and one done() per event, in order', async () => {
    const hold = gate();
    const fixture = memoryFixture();
    controller = await startController({ handlers: [podConfig(hold.promise)], southbound: fixture.southbound });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    const first = podAdded('p0');
    controller.pushEvent(first);
    await waitFor(() => calls.includes('pods.update(Kubernetes State Change)'), 'p0 held');
    const burst = ['p1', 'p2', 'p3', 'p4'].map(podAdded);
    const finished: string[] = [];
    for (const ev of burst) {
      ev.done = () => finished.push(ev.key);
      controller.pushEvent(ev);
    }
    const commitsBefore = fixture.memory.transactions.length;
    hold.open();
    await waitForHistory(controller, 6);
    // p0 was alone when it started; p1..p4 were queued behind it: p0 to p4 form one batch.
    expect(fixture.memory.transactions.length - commitsBefore).toBe(1);
    const batchTxn = fixture.memory.transactions.at(-1);
    expect(batchTxn?.description).toBe(
      '5 coalesced events #1-#5\n * #1 pods: put cfg/p0\n * #2 pods: put cfg/p1\n * #3 pods: put cfg/p2\n * #4 pods: put cfg/p3\n * #5 pods: put cfg/p4',
    );
    expect(finished).toEqual(['p1', 'p2', 'p3', 'p4']);
    const records = controller.eventHistory().slice(1);
    expect(records.map((r) => [r.seqNum, r.batch, r.handlers[0].change])).toEqual([
      [1, { first: 1, size: 5 }, 'put cfg/p0'],
      [2, { first: 1, size: 5 }, 'put cfg/p1'],
      [3, { first: 1, size: 5 }, 'put cfg/p2'],
      [4, { first: 1, size: 5 }, 'put cfg/p3'],
      [5, { first: 1, size: 5 }, 'put cfg/p4'],
    ]);
    for (const record of records) expect(record.txn).toBe(batchTxn);
    expect(await fixture.applied()).toEqual(Object.fromEntries(['p0', 'p1', 'p2', 'p3', 'p4'].map((p) => [`cfg/${p}`, { name: p }])));
  });

  test('a big batch\'s description names its first 16 change lines and counts the rest', async () => {
    const hold = gate();
    const fixture = memoryFixture();
    controller = await startController({ handlers: [podConfig(hold.promise)], southbound: fixture.southbound });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    controller.pushEvent(podAdded('p0'));
    await waitFor(() => calls.includes('pods.update(Kubernetes State Change)'), 'p0 held');
    for (let i = 1; i < 40; i++) controller.pushEvent(podAdded(`p${i}`));
    hold.open();
    await waitForHistory(controller, 41);
    const description = fixture.memory.transactions.at(-1)?.description ?? '';
    const lines = description.split('\n * ');
    expect(lines[0]).toBe('40 coalesced events #1-#40');
    expect(lines.slice(1, 17)).toEqual(Array.from({ length: 16 }, (_, i) => `#${i + 1} pods: put cfg/p${i}`));
    expect(lines.slice(17)).toEqual(['… (+24 more change lines, in the events\' records)']);
  });

  test('a batch ends before a resync, a RevertOnFailure update and a blocking event, and at maxCoalescedEvents', async () => {
    const hold = gate();
    const fixture = memoryFixture();
    controller = await startController({ handlers: [podConfig(hold.promise)], southbound: fixture.southbound, config: { maxCoalescedEvents: 2 } });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    controller.pushEvent(podAdded('p0'));
    await waitFor(() => calls.length === 2, 'p0 held');
    const blocking = new ExternalConfigChange('db', true);
    blocking.updatedKVs.set('ext/x', value({ name: 'x' }));
    const queued: Event[] = [
      podAdded('p1'), // joins p0 (2 = maxCoalescedEvents)
      podAdded('p2'),
      new TestUpdate('Revert', UpdateTransactionType.RevertOnFailure),
      podAdded('p3'),
      new DBResync({ kubeState: new Map([['pod', new Map([['p0', pod('p0')]])]]) }),
      podAdded('p4'),
      blocking,
      podAdded('p5'),
    ];
    for (const ev of queued) controller.pushEvent(ev);
    hold.open();
    await waitForHistory(controller, 10);
    const batches = controller.eventHistory().map((r) => `${r.name === KubeStateChange.eventName ? 'K' : r.name}${r.batch ? `@${r.batch.first}` : ''}`);
    expect(batches).toEqual(['Database Resync', 'K@1', 'K@1', 'K', 'Revert', 'K', 'Database Resync', 'K', 'External Config Change', 'K']);
    const commits = fixture.memory.transactions.map((t) => t.description.split('\n')[0]);
    expect(commits).toEqual([
      'Database Resync',
      '2 coalesced events #1-#2',
      'Kubernetes State Change',
      'Kubernetes State Change',
      'Database Resync',
      'Kubernetes State Change',
      'External Config Change',
      'Kubernetes State Change',
    ]);
  });

  test('coalesceUpdates: false commits every event on its own', async () => {
    const hold = gate();
    const fixture = memoryFixture();
    controller = await startController({ handlers: [podConfig(hold.promise)], southbound: fixture.southbound, config: { coalesceUpdates: false } });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    controller.pushEvent(podAdded('p0'));
    await waitFor(() => calls.length === 2, 'p0 held');
    for (const name of ['p1', 'p2', 'p3']) controller.pushEvent(podAdded(name));
    hold.open();
    await waitForHistory(controller, 5);
    expect(fixture.memory.transactions).toHaveLength(5);
    expect(controller.eventHistory().some((r) => r.batch)).toBe(false);
  });

  test('while a batch is committed the next one is built; commits never overlap, events finish in order, what cannot join waits', async () => {
    const southbound = new HeldSouthbound();
    controller = await pastStartup(southbound, { maxCoalescedEvents: 2 });
    const finished: string[] = [];
    const revert = new TestUpdate('Revert', UpdateTransactionType.RevertOnFailure);
    revert.done = () => finished.push('Revert');
    const events: Event[] = [...['p0', 'p1', 'p2', 'p3'].map(podAdded), revert, podAdded('p4')];
    for (const ev of events) {
      if (ev instanceof KubeStateChange) ev.done = () => finished.push(ev.key);
      controller.pushEvent(ev);
    }
    // p0+p1 are out; p2+p3, the next batch, went through the handlers meanwhile, and wait.
    await waitFor(() => calls.length === 4 && southbound.held.length === 2, 'the first batch out, the second built');
    await settleAll();
    expect(calls).toEqual(['p0', 'p1', 'p2', 'p3'].map(() => 'pods.update(Kubernetes State Change)'));
    expect(southbound.held.map((h) => h.description)).toEqual(['Database Resync', '2 coalesced events #1-#2']);
    expect(finished).toEqual([]);
    expect(controller.currentEvent()).toMatchObject({ seqNum: 4, waitingFor: { commit: true } });

    southbound.release(1);
    await waitFor(() => southbound.held.length === 3, 'the second batch sent once the first landed');
    expect(finished).toEqual(['p0', 'p1']);
    expect(southbound.held[2].description).toBe('2 coalesced events #3-#4');
    // Revert cannot join: its handlers wait for the commit in flight, and the event says so.
    await settleAll();
    expect(calls).toHaveLength(4);
    expect(controller.currentEvent()).toMatchObject({ name: 'Revert', waitingFor: { commit: true } });

    southbound.release(2);
    // Revert put nothing (no commit of its own); p4 goes alone, the queue being empty after it.
    await waitFor(() => southbound.held.length === 4, 'p4 after Revert');
    expect(southbound.held[3].description).toBe('Kubernetes State Change');
    expect(finished).toEqual(['p0', 'p1', 'p2', 'p3', 'Revert']);
    const closed = controller.close();
    await settleAll();
    // The Shutdown waits for p4's commit.
    expect(finished).toEqual(['p0', 'p1', 'p2', 'p3', 'Revert']);
    expect(calls).not.toContain('pods.update(Shutdown)');
    southbound.release(3);
    await closed;
    controller = undefined;
    expect(finished).toEqual(['p0', 'p1', 'p2', 'p3', 'Revert', 'p4']);
    expect(calls.at(-1)).toBe('pods.update(Shutdown)');
    expect(southbound.mostOutstanding).toBe(1);
  });

  test('a southbound that takes two commits at once gets the next batch while one is out; events still finish in order', async () => {
    const southbound = new HeldSouthbound(2);
    controller = await pastStartup(southbound, { maxCoalescedEvents: 2 });
    const finished: string[] = [];
    const revert = new TestUpdate('Revert', UpdateTransactionType.RevertOnFailure);
    revert.done = () => finished.push('Revert');
    const events: Event[] = [...['p0', 'p1', 'p2', 'p3', 'p4', 'p5'].map(podAdded), revert, podAdded('p6')];
    for (const ev of events) {
      if (ev instanceof KubeStateChange) ev.done = () => finished.push(ev.key);
      controller.pushEvent(ev);
    }
    // Two batches out at once; the third is built and waits for the oldest to land.
    await waitFor(() => calls.length === 6 && southbound.held.length === 3, 'two batches out, the third built');
    await settleAll();
    expect(southbound.held.map((h) => h.description)).toEqual(['Database Resync', '2 coalesced events #1-#2', '2 coalesced events #3-#4']);
    expect(controller.currentEvent()).toMatchObject({ seqNum: 6, waitingFor: { commit: true } });

    // The later commit answered first: its events wait for those of the one before.
    southbound.release(2);
    await settleAll();
    expect(finished).toEqual([]);
    expect(southbound.held).toHaveLength(3);

    southbound.release(1);
    await waitFor(() => southbound.held.length === 4, 'the third batch sent once the oldest landed');
    expect(finished).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect(southbound.held[3].description).toBe('2 coalesced events #5-#6');
    // Revert cannot join: it waits for every commit in flight.
    await settleAll();
    expect(controller.currentEvent()).toMatchObject({ name: 'Revert', waitingFor: { commit: true } });

    southbound.release(3);
    await waitFor(() => southbound.held.length === 5, 'p6 after Revert');
    expect(finished).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'Revert']);
    const closed = controller.close();
    southbound.release(4);
    await closed;
    controller = undefined;
    expect(finished).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'Revert', 'p6']);
    expect(southbound.mostOutstanding).toBe(2);
  });

  test('two commits out: each batch gets its own answer; an outage found by the first defers the batches built after it', async () => {
    const southbound = new HeldSouthbound(2);
    controller = await pastStartup(southbound, { maxCoalescedEvents: 2, delayAfterErrorHealing: 3_600_000 });
    const results = new Map<string, string>();
    for (const ev of ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'].map(podAdded)) {
      ev.done = (err?: Error | null) => results.set(ev.key, err?.message ?? 'ok');
      controller.pushEvent(ev);
    }
    await waitFor(() => calls.filter((c) => c.startsWith('pods.update')).length === 6 && southbound.held.length === 3, 'p0+p1 and p2+p3 out, p4+p5 built');
    southbound.fail(1, new SouthboundUnavailableError('connection refused'));
    await waitFor(() => results.size === 2, 'p0 and p1 finished');
    // p4+p5, committed once p0+p1 landed, are deferred at once, but finish after p2+p3.
    await settleAll();
    expect([...results.keys()]).toEqual(['p0', 'p1']);
    // p2+p3 were sent before the outage was known: their own answer decides.
    southbound.release(2);
    await waitFor(() => results.size === 6, 'every event finished');
    expect([...results.keys()]).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
    expect(Object.fromEntries(results)).toEqual({
      p0: 'transaction failed: southbound unavailable: connection refused',
      p1: 'transaction failed: southbound unavailable: connection refused',
      p2: 'ok',
      p3: 'ok',
      p4: 'transaction failed: southbound unavailable: transaction deferred to the resync after the outage',
      p5: 'transaction failed: southbound unavailable: transaction deferred to the resync after the outage',
    });
    // A commit went through after the outage was found: a full resync makes sure of the southbound's state.
    await waitFor(() => southbound.held.length === 4, 'the resync after the outage');
    expect(southbound.held[3].description).toBe('Healing Resync');
  });

  test('two commits out and neither answered: each fails after commitTimeout, in order', async () => {
    const southbound = new HeldSouthbound(2);
    controller = await pastStartup(southbound, { maxCoalescedEvents: 2, commitTimeout: 300, delayAfterErrorHealing: 3_600_000 });
    const results: string[] = [];
    for (const ev of ['p0', 'p1', 'p2', 'p3'].map(podAdded)) {
      ev.done = (err?: Error | null) => results.push(`${ev.key}: ${err?.message ?? 'ok'}`);
      controller.pushEvent(ev);
    }
    await waitFor(() => results.length === 4, 'both batches timed out', 30_000);
    expect(southbound.held).toHaveLength(3);
    expect(results).toEqual(['p0', 'p1', 'p2', 'p3'].map((p) => `${p}: transaction failed: southbound unavailable: commit not answered within 300 ms`));
  });

  test('a southbound with an invalid maxCommitsInFlight is refused when the controller is created', () => {
    for (const depth of [0, 1.5, 17, Number.NaN]) {
      expect(() => createController({ handlers: [], southbound: new HeldSouthbound(depth), logger: pino({ level: 'silent' }) })).toThrow(InvalidSouthboundError);
    }
    expect(() => createController({ handlers: [], southbound: {} as Southbound, logger: pino({ level: 'silent' }) })).toThrow('the southbound has no commit() method');
  });

  test('an outage found by the batch in flight: the batch built meanwhile is deferred, not sent', async () => {
    const southbound = new HeldSouthbound();
    // Healing far away: the test looks at the batches, not at the recovery.
    controller = await pastStartup(southbound, { maxCoalescedEvents: 2, delayAfterErrorHealing: 3_600_000 });
    const results = new Map<string, string>();
    for (const ev of ['p0', 'p1', 'p2', 'p3'].map(podAdded)) {
      ev.done = (err?: Error | null) => results.set(ev.key, err?.message ?? 'ok');
      controller.pushEvent(ev);
    }
    await waitFor(() => calls.filter((c) => c.startsWith('pods.update')).length === 4 && southbound.held.length === 2, 'p2+p3 built while p0+p1 are out');
    southbound.fail(1, new SouthboundUnavailableError('connection refused'));
    await waitFor(() => results.size === 4, 'every event finished');
    expect(Object.fromEntries(results)).toEqual({
      p0: 'transaction failed: southbound unavailable: connection refused',
      p1: 'transaction failed: southbound unavailable: connection refused',
      p2: 'transaction failed: southbound unavailable: transaction deferred to the resync after the outage',
      p3: 'transaction failed: southbound unavailable: transaction deferred to the resync after the outage',
    });
    expect(southbound.held).toHaveLength(2);
    expect(controller.health().southboundAvailable).toBe(false);
  });

  test('a key failure in a batch fails exactly the events that staged that key; healing follows', async () => {
    const hold = gate();
    const fixture = memoryFixture();
    controller = await startController({ handlers: [podConfig(hold.promise)], southbound: fixture.southbound, config: { delayAfterErrorHealing: 10 } });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    controller.pushEvent(podAdded('p0'));
    await waitFor(() => calls.length === 2, 'p0 held');
    const burst = ['p1', 'p2', 'p3'].map(podAdded);
    const results = new Map<string, unknown>();
    for (const ev of burst) {
      (ev as Event).done = (err?: Error | null) => {
        results.set(ev.key, err?.message ?? 'ok');
      };
      controller.pushEvent(ev);
    }
    fixture.memory.injectFailure({ keys: 'cfg/p2', times: 1, error: 'dataplane refuses p2' });
    hold.open();
    await waitFor(() => names(controller as Controller).includes('Healing Resync') && controller?.health().state === 'idle', 'healing after the failed key');
    expect(Object.fromEntries(results)).toEqual({ p1: 'ok', p2: 'transaction failed: cfg/p2 (CREATE): dataplane refuses p2', p3: 'ok' });
    const p2 = controller.eventHistory().find((r) => r.handlers[0]?.change === 'put cfg/p2');
    expect(p2?.txnError).toBe('transaction failed: cfg/p2 (CREATE): dataplane refuses p2');
    expect(await fixture.applied()).toEqual(Object.fromEntries(['p0', 'p1', 'p2', 'p3'].map((p) => [`cfg/${p}`, { name: p }])));
  });
});

describe('coalescing over gRPC to the reference southbound', () => {
  test('a burst goes batch after batch, each built while the one before is out: every event finished once, in order, the state as pushed', async () => {
    const fixture = await grpcFixture();
    const calls: string[] = [];
    /** The southbound's applied commits when each pod's handler ran. */
    const appliedWhenHandled = new Map<string, number>();
    const handler = recordingHandler('pods', calls, {
      update: (ev, txn) => {
        if (ev instanceof KubeStateChange) appliedWhenHandled.set(ev.key, fixture.server.stats.commitsApplied);
        if (ev instanceof KubeStateChange && ev.newValue) txn.put(`cfg/${ev.key}`, value({ name: ev.key }));
        return ev instanceof KubeStateChange ? `put cfg/${ev.key}` : '';
      },
    });
    const controller = await startController({ handlers: [handler], southbound: fixture.southbound, config: { maxCoalescedEvents: 16 } });
    try {
      controller.pushEvent(new DBResync({}));
      await waitForHistory(controller, 1);
      const pods = Array.from({ length: 400 }, (_, i) => `p${i}`);
      const finished: string[] = [];
      for (const name of pods) {
        const ev = podAdded(name);
        ev.done = (err?: Error | null) => finished.push(err ? `${name}: ${err.message}` : name);
        controller.pushEvent(ev);
      }
      await waitFor(() => finished.length >= pods.length && controller.health().state === 'idle', 'the burst finished');
      expect(finished).toEqual(pods);
      const batches = new Set(controller.eventHistory().slice(1).map((r) => r.batch?.first));
      expect(batches.has(undefined)).toBe(false);
      expect(fixture.server.stats.commitsApplied).toBe(1 + batches.size);
      expect(batches.size).toBe(pods.length / 16);
      // Batch n (from 0) is built while batch n - 1 is out: its handlers run before that one is
      // applied (the startup resync is the first commit applied).
      const overlapped = pods.filter((name, i) => i >= 16 && (appliedWhenHandled.get(name) ?? 0) < Math.floor(i / 16) + 1);
      expect(overlapped.length).toBeGreaterThan(0);
      expect(await fixture.applied()).toEqual(Object.fromEntries(pods.map((p) => [`cfg/${p}`, { name: p }])));
    } finally {
      await controller.close();
      await fixture.close();
    }
  });
});

/** Holds every commit until the test releases it, counting how many are out at once. */
class HeldSouthbound implements Southbound {
  constructor(readonly maxCommitsInFlight?: number) {}
  readonly held: { description: string; release: () => void; fail: (error: Error) => void }[] = [];
  private outstanding = 0;
  mostOutstanding = 0;
  private readonly memory = new InMemorySouthbound();

  async commit(request: CommitRequest): Promise<CommitResult> {
    this.outstanding++;
    this.mostOutstanding = Math.max(this.mostOutstanding, this.outstanding);
    const released = gate();
    this.held.push({ description: request.description.split('\n')[0], release: () => released.open(), fail: (error) => released.fail(error) });
    try {
      await released.promise;
    } finally {
      this.outstanding--;
    }
    return this.memory.commit(request);
  }

  release(index: number): void {
    this.held[index].release();
  }

  fail(index: number, error: Error): void {
    this.held[index].fail(error);
  }

  /** A failed test must not leave commits held: closing would wait for them. */
  releaseAll(): void {
    for (const commit of this.held) commit.release();
  }
}

/** Lets every job and immediate that is ready run: what has not happened after it waits for something. */
async function settleAll(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** One result per event, comparable across modes: ok, or the handlers' and the commit's errors. */
function result(record: EventRecord): string {
  const errors = record.handlers.filter((h) => h.error).map((h) => `${h.handler}: ${h.error}`);
  if (record.txnError) errors.push(`txn: ${record.txnError}`);
  return errors.length === 0 ? 'ok' : errors.join('; ');
}

/** Makes sure the properties are not vacuous: batches did form, and some of them met key failures. */
const stats = { coalescedEvents: 0, coalescedFailures: 0 };

interface ModeRun {
  /** Each pushed event's result, in push order. */
  results: string[];
  applied: Record<string, unknown>;
  /** Per coalesced commit: the events that staged a failed key must be exactly the failed ones. */
  attributionMismatches: string[];
  /** Some commit failed on external-config keys alone, which needs no healing. */
  externalAloneFailed: boolean;
}

/**
 * Runs the scenario in one mode. Southbound failures (when `withKeyFailures`) make keys under the
 * command's prefix fail a number of times from that command on, for non-healing commits only.
 */
async function runMode(input: Scenario, coalesce: boolean, withKeyFailures: boolean, maxCoalescedEvents = 256, pipelined = false): Promise<ModeRun> {
  const southbound = new InMemorySouthbound();
  const world = new World();
  const failuresOf = new WeakMap<Event, Scenario['commands'][number]>();
  const ownKeys = new Map<Event, Set<string>>();
  /** Removes the injected failures: the final resync must meet none left over. */
  const failureRemovers: (() => void)[] = [];
  let current: Event | undefined;
  const script: FailureScript = {
    failingHandler: (event) => failuresOf.get(event)?.handler ?? undefined,
    seen: (event) => {
      if (event === current) return;
      current = event;
      const failure = withKeyFailures ? failuresOf.get(event)?.southbound : undefined;
      if (failure) failureRemovers.push(southbound.injectFailure({ keys: (key) => key.startsWith(failure.prefix) && !(current instanceof HealingResync), times: failure.times }));
    },
    touched: (key) => {
      if (!current) return;
      let keys = ownKeys.get(current);
      if (!keys) ownKeys.set(current, (keys = new Set()));
      keys.add(key);
    },
  };
  const controller = createController({
    handlers: [podHandler(script), namespaceHandler(script)],
    southbound: pipelined ? new PipelinedSouthbound(southbound) : southbound,
    config: { delayAfterErrorHealing: input.delayAfterErrorHealing, enableRetry: false, coalesceUpdates: coalesce, maxCoalescedEvents },
    logger: pino({ level: 'silent' }),
  });
  await controller.start();
  try {
    const pushed: Event[] = [world.resync(input.initial.pods, input.initial.external)];
    for (const cmd of input.commands) {
      const event = world.event(cmd);
      failuresOf.set(event, cmd);
      pushed.push(event);
    }
    for (const event of pushed) controller.pushEvent(event);
    await waitFor(
      () => controller.eventHistory().filter((r) => r.name !== HealingResync.eventName).length === pushed.length && quiet(controller),
      'every event processed, healing done',
    );
    const records = controller.eventHistory().filter((r) => r.name !== HealingResync.eventName);
    const attributionMismatches: string[] = [];
    for (const [index, record] of records.entries()) {
      if (!record.batch || !record.txn) continue;
      const event = pushed[index];
      const failedKeys = new Set(record.txn.executed.filter((op) => op.error !== undefined).map((op) => op.key));
      const staged = new Set(ownKeys.get(event) ?? []);
      if (event instanceof ExternalConfigChange) for (const key of event.updatedKVs.keys()) staged.add(key);
      const ownFailed = [...staged].some((key) => failedKeys.has(key));
      stats.coalescedEvents++;
      if (record.txnError !== undefined) stats.coalescedFailures++;
      if (ownFailed !== (record.txnError !== undefined)) attributionMismatches.push(`#${record.seqNum}: own keys failed ${ownFailed}, txnError ${record.txnError}`);
    }
    expect(controller.health()).toMatchObject({ live: true, ready: true });
    // A commit failing only on keys that neither the event's own values nor the internal config
    // hold is a failure of external config alone: it needs no healing (docs/semantics.md, step 9),
    // so such a key stays unapplied until the next resync. A key no handler ever wrote is one; so
    // may be a key external config holds, once the handlers deleted theirs (a pod deleted, then
    // external config for its key).
    const handlerKeys = new Set([...ownKeys.values()].flatMap((keys) => [...keys]));
    const externalKeys = new Set<string>();
    for (const event of pushed) {
      if (event instanceof ExternalConfigChange) for (const key of event.updatedKVs.keys()) externalKeys.add(key);
      if (event instanceof DBResync) for (const key of event.externalConfig.keys()) externalKeys.add(key);
    }
    const externalAloneFailed = records.some((record) => {
      const failed = (record.txn?.executed ?? []).filter((op) => op.error !== undefined).map((op) => op.key);
      return failed.length > 0 && failed.every((key) => !handlerKeys.has(key) || externalKeys.has(key));
    });
    const applied = jsonMap(southbound.applied);
    const expected = jsonMap(expectedSouthbound(world.pods, world.external));
    if (!externalAloneFailed) expect(applied).toEqual(expected);
    // Whatever healing left, a resync of the world converges the southbound to it. A failure
    // injected for a later command may have times left (a failure of external config alone needs
    // no healing, so nothing else used them up): it would fail this resync too.
    for (const remove of failureRemovers) remove();
    controller.pushEvent(world.currentResync());
    await waitFor(
      () => controller.eventHistory().filter((r) => r.name !== HealingResync.eventName).length === pushed.length + 1 && quiet(controller),
      'the final resync processed',
    );
    expect(jsonMap(southbound.applied)).toEqual(expected);
    return { results: records.map(result), applied, externalAloneFailed, attributionMismatches };
  } finally {
    await controller.close();
  }
}

/** Small limits end batches while more events are queued: the next batch is built while one is committed. */
const batchLimit = fc.constantFrom(2, 3, 256);

/** The in-memory southbound answering on a later turn, two commits out at once, as the gRPC client. */
class PipelinedSouthbound implements Southbound {
  readonly maxCommitsInFlight = 2;
  private outstanding = 0;
  static mostOutstanding = 0;
  constructor(private readonly memory: InMemorySouthbound) {}

  commit(request: CommitRequest): Promise<CommitResult> {
    // Applied now, in the order of the calls; answered later.
    const applied = this.memory.commit(request);
    this.outstanding++;
    PipelinedSouthbound.mostOutstanding = Math.max(PipelinedSouthbound.mostOutstanding, this.outstanding);
    // Two turns: the loop takes one after sending a full batch, and the answer must not be in by then.
    return new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve))).then(() => {
      this.outstanding--;
      return applied;
    });
  }
}

describe('coalesced and strict modes', () => {
  test('without southbound failures they give every event the same result and leave the same southbound state', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, batchLimit, fc.boolean(), async (input, maxCoalescedEvents, pipelined) => {
        const strict = await runMode(input, false, false);
        const coalesced = await runMode(input, true, false, maxCoalescedEvents, pipelined);
        expect(coalesced.results).toEqual(strict.results);
        expect(coalesced.applied).toEqual(strict.applied);
      }),
      { numRuns: 30 },
    );
  });

  test('with key failures an event fails exactly when its own keys failed, and after healing both converge to the same state', async () => {
    stats.coalescedEvents = stats.coalescedFailures = 0;
    PipelinedSouthbound.mostOutstanding = 0;
    await fc.assert(
      fc.asyncProperty(scenario, batchLimit, fc.boolean(), async (input, maxCoalescedEvents, pipelined) => {
        const strict = await runMode(input, false, true);
        const coalesced = await runMode(input, true, true, maxCoalescedEvents, pipelined);
        expect(coalesced.attributionMismatches).toEqual([]);
        if (!strict.externalAloneFailed && !coalesced.externalAloneFailed) expect(coalesced.applied).toEqual(strict.applied);
      }),
      { numRuns: 30 },
    );
    expect(stats.coalescedEvents).toBeGreaterThan(50);
    expect(stats.coalescedFailures).toBeGreaterThan(0);
    expect(PipelinedSouthbound.mostOutstanding).toBe(2);
  });
});
