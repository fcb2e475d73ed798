import { DBResync, InvalidHistoryQueryError, KubeStateChange, systemClock, type Controller } from '../../src';
import { pod, value } from '../support/messages';
import { waitFor } from '../support/waitFor';
import { capturingLogger, memoryFixture, recordingHandler, startController, TestUpdate, waitForHistory } from '../support/harness';

describe('event history and logs', () => {
  let controller: Controller | undefined;
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
  });

  async function withEvents(count: number, clock: () => number): Promise<Controller> {
    const handler = recordingHandler('h', [], { update: (_ev, txn) => (txn.put('k', value({ n: 1 })), 'put k') });
    // One commit per event, so that each record's end is its own (a coalesced batch ends together).
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound, clock: { ...systemClock, now: clock }, config: { coalesceUpdates: false } });
    controller.pushEvent(new DBResync({}));
    for (let i = 1; i < count; i++) controller.pushEvent(new TestUpdate(`U${i}`));
    await waitForHistory(controller, count);
    return controller;
  }

  test('records carry the fields of the original, with what the southbound recorded', async () => {
    const c = await withEvents(2, Date.now);
    const [resync, update] = c.eventHistory();
    expect(resync).toMatchObject({ seqNum: 0, isFollowUp: false, name: 'Database Resync', description: 'Database Resync - empty dataset' });
    expect(update).toMatchObject({
      seqNum: 1,
      name: 'U1',
      handlers: [{ handler: 'h', revert: false, change: 'put k' }],
      txn: { seqNum: 1n, txnType: 'nb', description: 'U1\n * h: put k', values: [{ key: 'k' }] },
    });
    expect(update.processingEnd).toBeGreaterThanOrEqual(update.processingStart);
    expect(update.txnError).toBeUndefined();
  });

  test('queries by seq-num, time window, seq range, first and last, by that precedence', async () => {
    let now = 1_000_000;
    const c = await withEvents(6, () => (now += 1000));
    const seqs = (q: Parameters<Controller['eventHistory']>[0]) => c.eventHistory(q).map((r) => r.seqNum);
    expect(seqs({})).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seqs({ seqNum: 3 })).toEqual([3]);
    expect(seqs({ seqNum: 42 })).toEqual([]);
    const start3 = c.eventHistory({ seqNum: 3 })[0].processingStart / 1000;
    expect(seqs({ since: start3 })).toEqual([3, 4, 5]);
    expect(seqs({ until: start3 - 1 })).toEqual([0, 1, 2]);
    expect(seqs({ from: 2, to: 4 })).toEqual([2, 3, 4]);
    expect(seqs({ from: 4 })).toEqual([4, 5]);
    expect(seqs({ first: 2 })).toEqual([0, 1]);
    expect(seqs({ last: 2 })).toEqual([4, 5]);
    expect(seqs({ last: 0 })).toEqual([]);
    expect(seqs({ seqNum: 1, from: 2, to: 4, first: 1 })).toEqual([1]);
    expect(seqs({ from: 0, to: 1, last: 1 })).toEqual([0, 1]);
    expect(() => c.eventHistory({ seqNum: -1 })).toThrow(InvalidHistoryQueryError);
    expect(() => c.eventHistory({ first: 1.5 })).toThrow('invalid event-history parameter "first": 1.5');
  });

  test('trimming drops records older than the age limit, except those of the first period of run time', async () => {
    let now = 0;
    controller = await startController({
      handlers: [recordingHandler('h', [])],
      southbound: memoryFixture().southbound,
      clock: { ...systemClock, now: () => now },
      config: { eventHistoryTrimInterval: 5, eventHistoryAgeLimit: 1000, permanentlyRecordedInitPeriod: 100 },
    });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    now = 500;
    controller.pushEvent(new TestUpdate('Old'));
    await waitForHistory(controller, 2);
    now = 1200;
    controller.pushEvent(new TestUpdate('Recent'));
    await waitForHistory(controller, 3);
    now = 1600;
    await waitFor(() => controller?.eventHistory().length === 2, 'trimmed');
    expect(controller.eventHistory().map((r) => r.name)).toEqual(['Database Resync', 'Recent']);
  });

  test('recordEventHistory=false keeps nothing', async () => {
    controller = await startController({ handlers: [], southbound: memoryFixture().southbound, config: { recordEventHistory: false } });
    const ev = new TestUpdate('X');
    controller.pushEvent(new DBResync({}));
    controller.pushEvent(ev);
    await ev.wait();
    expect(controller.eventHistory()).toEqual([]);
  });

  test('one structured log line per new and per finalized event, with the sequence number', async () => {
    const { logger, lines } = capturingLogger();
    const handlers = [
      recordingHandler('a', [], { update: () => { throw new Error('a failed'); } }),
      recordingHandler('b', []),
    ];
    controller = await startController({ handlers, southbound: memoryFixture().southbound, logger, config: { delayAfterErrorHealing: 60000 } });
    controller.pushEvent(new DBResync({ kubeState: new Map([['pod', new Map([['k', pod('web', 'prod')]])]]) }));
    controller.pushEvent(new KubeStateChange({ key: 'k', resource: 'pod', prevValue: pod('web', 'prod') }));
    await waitForHistory(controller, 2);
    const events = lines.filter((l) => l.msg === 'new event' || l.msg === 'finalized event');
    expect(events.map((l) => [l.msg, l.seqNum])).toEqual([
      ['new event', 0],
      ['finalized event', 0],
      ['new event', 1],
      ['finalized event', 1],
    ]);
    expect(events[0]).toMatchObject({ event: 'Database Resync', method: 'FullResync', handlers: ['a', 'b'] });
    expect(events[0].description).toBe('Database Resync\n * 1 x pod: [prod/web]');
    expect(events[2]).toMatchObject({ handlers: ['b', 'a'] });
    expect(events[3]).toMatchObject({ level: 50, handledBy: ['b', 'a'], errors: { a: 'a failed' } });
    expect(typeof events[3].durationMs).toBe('number');
  });
});

describe('processed$', () => {
  test('every finished event reaches observers with its error and timings, and the stream completes on close', async () => {
    const handlers = [
      recordingHandler('a', [], { update: (ev, txn) => (ev.getName() === 'U' ? txn.put('k', value({ n: 1 })) : undefined) }),
      recordingHandler('b', [], {
        update: (ev) => {
          if (ev.getName() === 'U') throw new Error('b failed');
        },
      }),
    ];
    const controller = await startController({ handlers, southbound: memoryFixture().southbound, config: { delayAfterErrorHealing: 60000 } });
    const seen: { name: string; error?: string; handlers: number; commit: boolean }[] = [];
    let completed = false;
    controller.processed$.subscribe({
      next: (p) => {
        expect(p.handlerDurationsMs.every((ms) => ms >= 0)).toBe(true);
        seen.push({ name: p.record.name, error: p.error?.message, handlers: p.handlerDurationsMs.length, commit: p.commitDurationMs !== undefined });
      },
      complete: () => (completed = true),
    });
    controller.pushEvent(new DBResync({}));
    const ev = new TestUpdate('U');
    controller.pushEvent(ev);
    await ev.wait().catch(() => undefined);
    await controller.close();
    expect(seen).toEqual([
      { name: 'Database Resync', error: undefined, handlers: 2, commit: true },
      { name: 'U', error: 'b failed', handlers: 2, commit: true },
      { name: 'Shutdown', error: undefined, handlers: 2, commit: false },
    ]);
    expect(completed).toBe(true);
  });
});

describe('event history bound by count', () => {
  let controller: Controller | undefined;
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
  });

  test('never holds more than eventHistoryMaxRecords: the oldest go first, the init-period ones last', async () => {
    let now = 0;
    controller = await startController({
      handlers: [recordingHandler('h', [])],
      southbound: memoryFixture().southbound,
      clock: { ...systemClock, now: () => now },
      config: { eventHistoryMaxRecords: 5, permanentlyRecordedInitPeriod: 100 },
    });
    controller.pushEvent(new DBResync({}));
    for (const name of ['I1', 'I2']) controller.pushEvent(new TestUpdate(name));
    await waitForHistory(controller, 3);
    now = 1000;
    for (let i = 1; i <= 10; i++) controller.pushEvent(new TestUpdate(`L${i}`));
    await waitForHistory(controller, 5);
    await waitFor(() => controller?.eventHistory().at(-1)?.name === 'L10', 'L10 recorded');
    expect(controller.eventHistory().map((r) => r.name)).toEqual(['Database Resync', 'I1', 'I2', 'L9', 'L10']);
    expect(controller.eventHistory({ seqNum: 11 })).toHaveLength(1);
    expect(controller.eventHistory({ seqNum: 3 })).toEqual([]);
    expect(controller.eventHistory({ last: 2 }).map((r) => r.name)).toEqual(['L9', 'L10']);
    expect(controller.eventHistory({ first: 4 }).map((r) => r.name)).toEqual(['Database Resync', 'I1', 'I2', 'L9']);
  });

  test('when only init-period records are left, they go too, oldest first', async () => {
    controller = await startController({
      handlers: [recordingHandler('h', [])],
      southbound: memoryFixture().southbound,
      config: { eventHistoryMaxRecords: 3, permanentlyRecordedInitPeriod: 3_600_000 },
    });
    controller.pushEvent(new DBResync({}));
    for (let i = 1; i <= 6; i++) controller.pushEvent(new TestUpdate(`E${i}`));
    await waitFor(() => controller?.eventHistory().at(-1)?.name === 'E6' && controller.health().state === 'idle', 'E6 recorded');
    expect(controller.eventHistory().map((r) => r.name)).toEqual(['E4', 'E5', 'E6']);
  });

  test('memory stays bounded: 20,000 events with the bound at 1,000 keep 1,000 records', async () => {
    controller = await startController({
      handlers: [recordingHandler('h', [], { update: (_ev, txn) => txn.put('k', value({ n: 1 })) })],
      southbound: memoryFixture().southbound,
      config: { eventHistoryMaxRecords: 1000, eventQueueSize: 20_000 },
    });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    for (let i = 0; i < 20_000; i++) controller.pushEvent(new TestUpdate(`E${i}`));
    await waitFor(() => controller?.eventHistory({ last: 1 })[0]?.name === 'E19999', 'all processed', 60000);
    expect(controller.eventHistory()).toHaveLength(1000);
    expect(controller.eventHistory()[0].seqNum).toBe(20_001 - 1000);
  });
});
