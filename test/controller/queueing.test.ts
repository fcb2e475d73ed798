import pino from 'pino';
import {
  BlockingEventInLoopError,
  ControllerClosedError,
  createController,
  DBResync,
  EventLoopAbortingError,
  EventMethodType,
  EventQueueFullError,
  FatalError,
  InvalidEventError,
  KubeStateChange,
  Shutdown,
  StartupResyncDeadlineError,
  UpdateDirectionType,
  UpdateTransactionType,
  type Controller,
  type Event,
  type Southbound,
} from '../../src';
import { SimulatedClock } from 'xstate';
import type { ProtoMessage } from '../../src';
import { pod } from '../support/messages';
import { recordTimers } from '../support/timers';
import { gate, waitFor } from '../support/waitFor';
import { memoryFixture, names, recordingHandler, startController, TestUpdate, waitForHistory } from '../support/harness';

describe('queueing', () => {
  let controller: Controller | undefined;
  const calls: string[] = [];
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    calls.length = 0;
  });

  test('events pushed before the first DBResync wait for it, in order, and count against the bound (the original refuses at eventQueueSize)', async () => {
    controller = await startController({ handlers: [recordingHandler('h', calls)], southbound: memoryFixture().southbound, config: { eventQueueSize: 3 } });
    const early = ['E1', 'E2', 'E3'].map((n) => new TestUpdate(n));
    for (const ev of early) controller.pushEvent(ev);
    expect(() => controller?.pushEvent(new TestUpdate('E4'))).toThrow(EventQueueFullError);
    expect(controller.queueDepths()).toEqual({ main: 0, followUp: 0, delayed: 3 });
    expect(controller.eventHistory()).toEqual([]);
    // The DBResync that ends the wait is taken even when the held events fill the bound.
    controller.pushEvent(new DBResync({}));
    await early[2].wait();
    expect(names(controller)).toEqual(['Database Resync', 'E1', 'E2', 'E3']);
  });

  test('follow-ups pushed while the DBResync is processed go before the delayed events', async () => {
    const c: { current?: Controller } = {};
    const handler = recordingHandler('h', calls, {
      resync: () => c.current?.pushEvent(new TestUpdate('FollowUp')),
    });
    controller = c.current = await startController({ handlers: [handler], southbound: memoryFixture().southbound });
    const delayed = new TestUpdate('Delayed');
    controller.pushEvent(delayed);
    controller.pushEvent(new DBResync({}));
    await delayed.wait();
    expect(names(controller)).toEqual(['Database Resync', 'FollowUp', 'Delayed']);
    const followUp = controller.eventHistory()[1];
    expect(followUp).toMatchObject({ isFollowUp: true, followUpTo: 0 });
  });

  test('a follow-up is processed before events already in the main queue', async () => {
    const hold = gate();
    const c: { current?: Controller } = {};
    const handler = recordingHandler('h', calls, {
      update: async (ev) => {
        if (ev.getName() === 'First') {
          await hold.promise;
          c.current?.pushEvent(new TestUpdate('FollowUp of First'));
        }
      },
    });
    controller = c.current = await startController({ handlers: [handler], southbound: memoryFixture().southbound });
    controller.pushEvent(new DBResync({}));
    controller.pushEvent(new TestUpdate('First'));
    const second = new TestUpdate('Second');
    controller.pushEvent(second);
    await waitFor(() => calls.includes('h.update(First)'), 'First in progress');
    hold.open();
    await second.wait();
    expect(names(controller)).toEqual(['Database Resync', 'First', 'FollowUp of First', 'Second']);
  });

  test('a timer a handler leaves behind pushes to the main queue, not as a follow-up', async () => {
    const c: { current?: Controller } = {};
    let late: TestUpdate | undefined;
    const handler = recordingHandler('h', calls, {
      update: (ev) => {
        if (ev.getName() === 'Starter') {
          setTimeout(() => c.current?.pushEvent((late = new TestUpdate('Late'))), 1);
        }
      },
    });
    controller = c.current = await startController({ handlers: [handler], southbound: memoryFixture().southbound });
    controller.pushEvent(new DBResync({}));
    controller.pushEvent(new TestUpdate('Starter'));
    await waitFor(() => late !== undefined, 'late push');
    await (late as TestUpdate).wait();
    expect(controller.eventHistory({ last: 1 })[0]).toMatchObject({ name: 'Late', isFollowUp: false });
  });

  test('events pushed while the loop is busy are taken without a wake-up: by a caller awaiting each event, by a southbound inside a commit', async () => {
    // The commits answer in a promise, except the Trigger's: its southbound pushes from inside the
    // commit, which runs once the loop found the queue empty, before the loop stops.
    const c: { current?: Controller } = {};
    let pushedByCommit: TestUpdate | undefined;
    const southbound: Southbound = {
      commit: (request) => {
        if (![...request.values.keys()].includes('h/Trigger')) return Promise.resolve({});
        if (!pushedByCommit) c.current?.pushEvent((pushedByCommit = new TestUpdate('Pushed by the commit')));
        return {};
      },
    };
    const handler = recordingHandler('h', calls, { update: (ev, txn) => txn.put(`h/${ev.getName()}`, pod('p')) });
    controller = c.current = await startController({ handlers: [handler], southbound });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    // Each awaited before the next push: the commits answer in a promise, so every push but the
    // first comes while the loop is still finishing the event before.
    for (let i = 0; i < 20; i++) {
      const update = new TestUpdate(`U${i}`);
      controller.pushEvent(update);
      await update.wait();
    }
    controller.pushEvent(new TestUpdate('Trigger'));
    await waitFor(() => pushedByCommit !== undefined, 'the commit pushed its event');
    await (pushedByCommit as TestUpdate).wait();
    expect(names(controller).slice(-2)).toEqual(['Trigger', 'Pushed by the commit']);
    expect(names(controller)).toHaveLength(23);
  });

  test('a full main queue rejects at once with EventQueueFullError, and nothing queued is lost', async () => {
    const hold = gate();
    const handler = recordingHandler('h', calls, { update: () => hold.promise });
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound, config: { eventQueueSize: 2 } });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    const blocker = new TestUpdate('Blocker');
    controller.pushEvent(blocker);
    await waitFor(() => calls.includes('h.update(Blocker)'), 'blocker running');
    const queued = [new TestUpdate('Q1'), new TestUpdate('Q2')];
    for (const ev of queued) controller.pushEvent(ev);
    expect(() => controller?.pushEvent(new TestUpdate('Overflow'))).toThrow(EventQueueFullError);
    hold.open();
    await queued[1].wait();
    expect(names(controller)).toEqual(['Database Resync', 'Blocker', 'Q1', 'Q2']);
  });

  test('a full follow-up queue rejects the push inside the handler, which sees the error', async () => {
    const c: { current?: Controller } = {};
    const errors: unknown[] = [];
    const handler = recordingHandler('h', calls, {
      update: (ev) => {
        if (ev.getName() !== 'Burst') return;
        for (let i = 0; i < 3; i++) {
          try {
            c.current?.pushEvent(new TestUpdate(`F${i}`));
          } catch (error) {
            errors.push(error);
          }
        }
      },
    });
    controller = c.current = await startController({ handlers: [handler], southbound: memoryFixture().southbound, config: { eventQueueSize: 2 } });
    controller.pushEvent(new DBResync({}));
    controller.pushEvent(new TestUpdate('Burst'));
    await waitForHistory(controller, 4);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(EventQueueFullError);
    expect((errors[0] as EventQueueFullError).queue).toBe('follow-up');
  });

  test('a blocking event pushed from inside the loop is refused with a clear error, and the loop goes on', async () => {
    const c: { current?: Controller } = {};
    let refusal: unknown;
    const handler = recordingHandler('h', calls, {
      update: (ev) => {
        if (ev.getName() !== 'Pusher') return;
        try {
          c.current?.pushEvent(new TestUpdate('Blocking', UpdateTransactionType.BestEffort, UpdateDirectionType.Forward, true));
        } catch (error) {
          refusal = error;
        }
      },
    });
    controller = c.current = await startController({ handlers: [handler], southbound: memoryFixture().southbound });
    controller.pushEvent(new DBResync({}));
    const pusher = new TestUpdate('Pusher');
    controller.pushEvent(pusher);
    await pusher.wait();
    expect(refusal).toBeInstanceOf(BlockingEventInLoopError);
    expect((refusal as Error).message).toMatch(/"Blocking" pushed from inside the event loop \(while processing event #1\)/);
    const after = new TestUpdate('After');
    controller.pushEvent(after);
    await after.wait();
  });

  test('the startup deadline is met when the first DBResync is taken, however long it then takes (slow external source)', async () => {
    const clock = new SimulatedClock();
    const snapshot = gate<Map<string, ProtoMessage | null>>();
    const slowSource = { name: 'slow', getConfigSnapshot: () => snapshot.promise };
    controller = await startController({
      handlers: [recordingHandler('h', calls)],
      southbound: memoryFixture().southbound,
      externalSources: [slowSource],
      clock,
      config: { startupResyncDeadline: 1000 },
    });
    controller.pushEvent(new DBResync({}));
    await waitFor(() => controller?.health().state === 'resyncing', 'the DBResync taken');
    clock.increment(5000);
    expect(controller.health()).toMatchObject({ live: true, state: 'resyncing' });
    snapshot.open(new Map());
    await waitFor(() => controller?.health().ready === true, 'ready');
    expect(controller.health().live).toBe(true);
  });

  test('no DBResync within the startup deadline: fatal, delayed events rejected with "event loop is aborting"', async () => {
    controller = await startController({ handlers: [], southbound: memoryFixture().southbound, config: { startupResyncDeadline: 20 } });
    const delayed = new TestUpdate('Delayed');
    controller.pushEvent(delayed);
    const error = await delayed.wait().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventLoopAbortingError);
    expect((error as Error).message).toBe('event loop is aborting: startup resync was not received within 20 ms');
    expect(controller.health()).toEqual({
      state: 'fatal',
      ready: false,
      live: false,
      southboundAvailable: true,
      error: new StartupResyncDeadlineError(20).message,
    });
    const later = new DBResync({});
    controller.pushEvent(later);
    const later2 = new TestUpdate('Later');
    controller.pushEvent(later2);
    await expect(later2.wait()).rejects.toBeInstanceOf(FatalError);
  });

  test('close() before the first DBResync does not wait for it; delayed events end with ControllerClosedError', async () => {
    controller = await startController({ handlers: [recordingHandler('h', calls)], southbound: memoryFixture().southbound });
    const delayed = new TestUpdate('Delayed');
    controller.pushEvent(delayed);
    await controller.close();
    await expect(delayed.wait()).rejects.toBeInstanceOf(ControllerClosedError);
    expect(calls).toEqual(['h.update(Shutdown)']);
    expect(names(controller)).toEqual(['Shutdown']);
    expect(controller.health().state).toBe('stopped');
  });

  test('close() puts a Shutdown through the handlers ahead of queued events, which are finished as closed; later pushes are refused', async () => {
    controller = await startController({ handlers: [recordingHandler('a', calls), recordingHandler('b', calls)], southbound: memoryFixture().southbound });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    const queued = new TestUpdate('Queued');
    controller.pushEvent(queued);
    await controller.close();
    await expect(queued.wait()).rejects.toBeInstanceOf(ControllerClosedError);
    expect(names(controller)).toEqual(['Database Resync', 'Shutdown']);
    expect(calls.slice(-2)).toEqual(['a.update(Shutdown)', 'b.update(Shutdown)']);
    expect(() => controller?.pushEvent(new TestUpdate('TooLate'))).toThrow(ControllerClosedError);
    expect(controller.health()).toMatchObject({ state: 'stopped', ready: false });
  });

  test('close() leaves no timer behind, even with periodic healing and a scheduled healing resync', async () => {
    // Every Timeout created while the controller lives must be gone once close() resolves.
    const timers = recordTimers();
    try {
      controller = await startController({
        handlers: [recordingHandler('h', calls, { update: () => { throw new Error('needs healing'); } })],
        southbound: memoryFixture().southbound,
        config: { enablePeriodicHealing: true, periodicHealingInterval: 60000, delayAfterErrorHealing: 60000 },
      });
      controller.pushEvent(new DBResync({}));
      const failing = new TestUpdate('Fails');
      controller.pushEvent(failing);
      await failing.wait().catch(() => undefined);
      expect(controller.actor.getSnapshot().matches({ running: { healing: 'scheduled', periodicHealing: 'waiting' } })).toBe(true);
      expect(timers.live.size).toBeGreaterThanOrEqual(3);
      await controller.close();
      timers.stopRecording();
      await waitFor(() => timers.live.size === 0, `no timer left (${timers.live.size} live)`);
    } finally {
      timers.dispose();
    }
  });

  test('bad input gets a clear error and the loop goes on', async () => {
    controller = await startController({ handlers: [recordingHandler('h', calls)], southbound: memoryFixture().southbound });
    controller.pushEvent(new DBResync({}));
    expect(() => controller?.pushEvent({ getName: () => 'half an event' } as unknown as Event)).toThrow(InvalidEventError);
    let finished: Error | null | undefined;
    const notAnUpdate: Event = {
      getName: () => 'Not An Update',
      toString: () => 'Not An Update',
      method: () => EventMethodType.Update,
      isBlocking: () => false,
      done: (err) => {
        finished = err;
      },
    };
    controller.pushEvent(notAnUpdate);
    const after = new TestUpdate('After');
    controller.pushEvent(after);
    await after.wait();
    expect(finished).toBeInstanceOf(InvalidEventError);
    expect(controller.eventHistory().find((r) => r.name === 'Not An Update')?.handlers).toEqual([]);
    expect(calls).toEqual(['h.resync(Database Resync)', 'h.update(After)']);
  });

  test('pushEvent before start() queues; events of a never-started controller end with ControllerClosedError on close', async () => {
    const c = createController({ handlers: [], southbound: memoryFixture().southbound, logger: pino({ level: 'silent' }) });
    const ev = new TestUpdate('Never');
    c.pushEvent(new KubeStateChange({ key: 'k', resource: 'pod', newValue: pod('p') }));
    c.pushEvent(ev);
    await c.close();
    await expect(ev.wait()).rejects.toBeInstanceOf(ControllerClosedError);
    await expect(c.start()).rejects.toThrow('controller is closed');
  });

  test('Shutdown is blocking and waits', async () => {
    expect(new Shutdown().isBlocking()).toBe(true);
  });
});

describe('queue statistics and the current event', () => {
  let controller: Controller | undefined;
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
  });

  test('queueStats counts adds and refusals per queue; currentEvent names the event being processed; processed$ reports the queue wait', async () => {
    const held = gate();
    const c: { current?: Controller } = {};
    const handler = recordingHandler('h', [], {
      update: async (ev) => {
        if (ev.getName() === 'Held') {
          c.current?.pushEvent(new TestUpdate('FollowUp'));
          await held.promise;
        }
      },
    });
    controller = c.current = await startController({ handlers: [handler], southbound: memoryFixture().southbound, config: { eventQueueSize: 2 } });
    const waits: (number | undefined)[] = [];
    controller.processed$.subscribe((p) => waits.push(p.queueWaitMs));
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    controller.pushEvent(new TestUpdate('Held'));
    await waitFor(() => controller?.currentEvent()?.name === 'Held' && controller.queueDepths().followUp === 1, 'Held running, its follow-up queued');
    expect(controller.currentEvent()).toMatchObject({ seqNum: 1, name: 'Held', waitingFor: { handler: 'h', call: 'update' } });
    controller.pushEvent(new TestUpdate('Q1'));
    controller.pushEvent(new TestUpdate('Q2'));
    expect(() => controller?.pushEvent(new TestUpdate('Q3'))).toThrow(EventQueueFullError);
    expect(controller.queueStats()).toEqual({ main: { depth: 2, added: 4, refused: 1 }, followUp: { depth: 1, added: 1, refused: 0 }, delayed: 0 });
    held.open();
    await waitForHistory(controller, 5);
    expect(controller.currentEvent()).toBeUndefined();
    expect(waits).toHaveLength(5);
    for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(0);
  });

  test('the queue wait is measured for exactly the events pushed while someone observed processed$, even when that starts and stops while they wait', async () => {
    const held = gate();
    const handler = recordingHandler('h', [], {
      update: async (ev) => {
        if (ev.getName() === 'Held') await held.promise;
      },
    });
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    controller.pushEvent(new TestUpdate('Held'));
    await waitFor(() => controller?.currentEvent()?.name === 'Held', 'Held running');
    controller.pushEvent(new TestUpdate('A'));
    const first = controller.processed$.subscribe(() => undefined);
    controller.pushEvent(new TestUpdate('B'));
    first.unsubscribe();
    controller.pushEvent(new TestUpdate('C'));
    const waits = new Map<string, number | undefined>();
    controller.processed$.subscribe((p) => waits.set(p.record.name, p.queueWaitMs));
    controller.pushEvent(new TestUpdate('D'));
    held.open();
    await waitForHistory(controller, 6);
    // Held started while nobody observed: its timings were not taken, and it is not reported.
    expect([...waits.keys()]).toEqual(['A', 'B', 'C', 'D']);
    expect(waits.get('A')).toBeUndefined();
    expect(waits.get('B')).toBeGreaterThanOrEqual(0);
    expect(waits.get('C')).toBeUndefined();
    expect(waits.get('D')).toBeGreaterThanOrEqual(0);
  });
});
