import {
  DBResync,
  EventMethodType,
  FatalError,
  HealingFailedError,
  HealingResync,
  HealingResyncType,
  KubeStateChange,
  type Controller,
} from '../../src';
import { pod, value } from '../support/messages';
import { SimulatedClock } from 'xstate';
import { gate, waitFor } from '../support/waitFor';
import { memoryFixture, names, recordingHandler, startController, TestUpdate, waitForHistory } from '../support/harness';

describe('healing', () => {
  let controller: Controller | undefined;
  const calls: string[] = [];
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    calls.length = 0;
  });

  test('a healing resync is scheduled once for many failures, after the delay, and clears when it starts', async () => {
    const handler = recordingHandler('h', calls, {
      update: (ev) => {
        if (ev.getName().startsWith('Fail')) throw new Error(`${ev.getName()} failed`);
      },
    });
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound, config: { delayAfterErrorHealing: 30 } });
    controller.pushEvent(new DBResync({}));
    const failures = ['Fail1', 'Fail2', 'Fail3'].map((n) => new TestUpdate(n));
    for (const ev of failures) controller.pushEvent(ev);
    await expect(failures[2].wait()).rejects.toThrow('Fail3 failed');
    // Scheduled, or already queued if the delay has passed: either way not clear, and only once.
    expect(controller.actor.getSnapshot().matches({ running: { healing: 'clear' } })).toBe(false);
    await waitFor(() => names(controller as Controller).includes('Healing Resync') && controller?.health().state === 'idle', 'healing processed');
    const healings = controller.eventHistory().filter((r) => r.name === 'Healing Resync');
    expect(healings).toHaveLength(1);
    expect(healings[0].description).toBe('Healing Resync (after error: Fail1 failed)');
    expect(healings[0].method).toBe(EventMethodType.FullResync);
    expect(controller.actor.getSnapshot().matches({ running: { healing: 'clear' } })).toBe(true);
    const again = new TestUpdate('Fail4');
    controller.pushEvent(again);
    await expect(again.wait()).rejects.toThrow();
    await waitFor(() => controller?.eventHistory().filter((r) => r.name === 'Healing Resync').length === 2, 'second healing');
  });

  test('a failed resync needs healing too (the original never healed resyncs)', async () => {
    let fail = true;
    const handler = recordingHandler('h', calls, {
      resync: () => {
        if (fail) {
          fail = false;
          throw new Error('resync failed once');
        }
      },
    });
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound, config: { delayAfterErrorHealing: 1 } });
    controller.pushEvent(new DBResync({}));
    await waitFor(() => names(controller as Controller).includes('Healing Resync') && controller?.health().state === 'idle', 'healing');
    expect(controller.health()).toMatchObject({ ready: true, live: true });
  });

  test('a healing resync that fails is fatal', async () => {
    const handler = recordingHandler('h', calls, {
      update: () => {
        throw new Error('update failed');
      },
      resync: (ev) => {
        if (ev instanceof HealingResync) throw new Error('still broken');
      },
    });
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound, config: { delayAfterErrorHealing: 1 } });
    controller.pushEvent(new DBResync({}));
    controller.pushEvent(new TestUpdate('Breaks'));
    await waitFor(() => controller?.health().state === 'fatal', 'fatal');
    expect(controller.health()).toEqual({ state: 'fatal', ready: false, live: false, southboundAvailable: true, error: 'healing resync failed: still broken' });
    const later = new TestUpdate('Later');
    controller.pushEvent(later);
    const error = await later.wait().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FatalError);
    expect((error as FatalError).getOriginalError()).toBeInstanceOf(HealingFailedError);
  });

  test('periodic healing runs downstream resyncs after the first DBResync, without the handlers', async () => {
    controller = await startController({
      handlers: [recordingHandler('h', calls)],
      southbound: memoryFixture().southbound,
      config: { enablePeriodicHealing: true, periodicHealingInterval: 10 },
    });
    expect(controller.actor.getSnapshot().matches({ running: { periodicHealing: 'off' } })).toBe(true);
    controller.pushEvent(new DBResync({}));
    await waitFor(() => (controller as Controller).eventHistory().filter((r) => r.name === 'Healing Resync').length >= 2, 'two periodic healings');
    const periodic = controller.eventHistory().find((r) => r.name === 'Healing Resync');
    expect(periodic).toMatchObject({ method: EventMethodType.DownstreamResync, description: 'Healing Resync (periodic)', handlers: [] });
    expect(periodic?.txn?.resyncType).toBe('downstream');
    expect(calls).toEqual(['h.resync(Database Resync)']);
  });

  test('an unreachable southbound fails the event and the healing resync converges once it is back', async () => {
    const fixture = memoryFixture();
    const handler = recordingHandler('pods', calls, {
      update: (ev, txn) => {
        if (ev instanceof KubeStateChange && ev.newValue) txn.put(`cfg/${ev.key}`, value({ name: ev.key }));
      },
      resync: (_ev, kubeState, _n, txn) => {
        for (const key of kubeState.get('pod')?.keys() ?? []) txn.put(`cfg/${key}`, value({ name: key }));
      },
    });
    controller = await startController({ handlers: [handler], southbound: fixture.southbound, config: { delayAfterErrorHealing: 5 } });
    controller.pushEvent(new DBResync({}));
    await waitFor(() => controller?.health().ready === true, 'ready');
    fixture.memory.failNextCommits(1, 'connection refused');
    controller.pushEvent(new KubeStateChange({ key: 'p', resource: 'pod', newValue: pod('p') }));
    await waitFor(() => names(controller as Controller).includes('Healing Resync') && controller?.health().state === 'idle', 'healed');
    const failed = controller.eventHistory().find((r) => r.name === 'Kubernetes State Change');
    expect(failed?.txnError).toBe('transaction failed: southbound unavailable: connection refused');
    expect(await fixture.applied()).toEqual({ 'cfg/p': { name: 'p' } });
  });

  test('a southbound that lost its state gets a full resync before any further update', async () => {
    const fixture = memoryFixture();
    const hold = gate();
    const handler = recordingHandler('pods', calls, {
      update: async (ev, txn) => {
        if (ev.getName() === 'Hold') await hold.promise;
        if (ev instanceof KubeStateChange && ev.newValue) txn.put(`cfg/${ev.key}`, value({ name: ev.key }));
      },
      resync: (_ev, kubeState, _n, txn) => {
        for (const key of kubeState.get('pod')?.keys() ?? []) txn.put(`cfg/${key}`, value({ name: key }));
      },
    });
    controller = await startController({ handlers: [handler], southbound: fixture.southbound });
    controller.pushEvent(new DBResync({ kubeState: new Map([['pod', new Map([['a', pod('a')]])]]) }));
    controller.pushEvent(new TestUpdate('Hold'));
    const next = new KubeStateChange({ key: 'b', resource: 'pod', newValue: pod('b') });
    controller.pushEvent(next);
    await waitFor(() => calls.includes('pods.update(Hold)'), 'Hold running');
    fixture.memory.reset('restarted');
    hold.open();
    await waitFor(() => names(controller as Controller).length === 4 && controller?.health().state === 'idle', 'all processed');
    expect(names(controller)).toEqual(['Database Resync', 'Hold', 'Healing Resync', 'Kubernetes State Change']);
    expect(controller.eventHistory()[2].description).toBe('Healing Resync (after error: southbound reset: restarted)');
    expect(await fixture.applied()).toEqual({ 'cfg/a': { name: 'a' }, 'cfg/b': { name: 'b' } });
  });

  test('a healing resync whose commit fails only on external-config keys is not a failed healing (not fatal)', async () => {
    const fixture = memoryFixture();
    fixture.memory.injectFailure({ keys: 'ext/bad', error: 'the dataplane rejects it' });
    let failOnce = true;
    const handler = recordingHandler('h', calls, {
      update: () => {
        if (failOnce) {
          failOnce = false;
          throw new Error('transient handler error');
        }
      },
    });
    controller = await startController({ handlers: [handler], southbound: fixture.southbound, config: { delayAfterErrorHealing: 1 } });
    controller.pushEvent(new DBResync({ externalConfig: new Map([['ext/bad', value({ name: 'bad' })]]) }));
    controller.pushEvent(new TestUpdate('Transient'));
    await waitFor(() => names(controller as Controller).includes('Healing Resync') && controller?.health().state === 'idle', 'healing processed');
    const healing = controller.eventHistory().find((r) => r.name === 'Healing Resync');
    expect(healing?.txnError).toBe('transaction failed: ext/bad (CREATE): the dataplane rejects it');
    expect(controller.health()).toMatchObject({ live: true, state: 'idle' });
  });

  test('a healing resync whose commit fails on keys the southbound rejects is not fatal: another healing follows and converges', async () => {
    const fixture = memoryFixture();
    const handler = recordingHandler('pods', calls, {
      update: (ev, txn) => {
        if (ev instanceof KubeStateChange && ev.newValue) txn.put(`cfg/${ev.key}`, value({ name: ev.key }));
      },
      resync: (_ev, kubeState, _n, txn) => {
        for (const key of kubeState.get('pod')?.keys() ?? []) txn.put(`cfg/${key}`, value({ name: key }));
      },
    });
    controller = await startController({ handlers: [handler], southbound: fixture.southbound, config: { delayAfterErrorHealing: 5 } });
    controller.pushEvent(new DBResync({}));
    await waitFor(() => controller?.health().ready === true, 'ready');
    // The update and the first healing resync meet the failure; the second healing goes through.
    fixture.memory.injectFailure({ keys: 'cfg/p', times: 2, error: 'dataplane busy' });
    controller.pushEvent(new KubeStateChange({ key: 'p', resource: 'pod', newValue: pod('p') }));
    await waitFor(() => controller?.eventHistory().filter((r) => r.name === 'Healing Resync' && r.txnError === undefined).length === 1, 'a healing that succeeded');
    const healings = controller.eventHistory().filter((r) => r.name === 'Healing Resync');
    expect(healings.map((r) => r.txnError)).toEqual(['transaction failed: cfg/p (CREATE): dataplane busy', undefined]);
    expect(controller.health()).toMatchObject({ live: true });
    expect(await fixture.applied()).toEqual({ 'cfg/p': { name: 'p' } });
  });

  test('more failed events than maxFailedEventsInPeriod within failedEventsPeriod is fatal, with a reason that says so', async () => {
    const handler = recordingHandler('h', calls, {
      update: (ev) => {
        if (ev.getName().startsWith('Fail')) throw new Error(`${ev.getName()} failed`);
      },
    });
    controller = await startController({
      handlers: [handler],
      southbound: memoryFixture().southbound,
      config: { maxFailedEventsInPeriod: 2, failedEventsPeriod: 3_600_000, delayAfterErrorHealing: 3_600_000 },
    });
    controller.pushEvent(new DBResync({}));
    for (const name of ['Fail1', 'Ok', 'Fail2']) controller.pushEvent(new TestUpdate(name));
    await waitForHistory(controller, 4);
    expect(controller.health().live).toBe(true);
    const third = new TestUpdate('Fail3');
    controller.pushEvent(third);
    // The event keeps its own error; the controller gives up after it.
    await expect(third.wait()).rejects.toThrow('Fail3 failed');
    await waitFor(() => controller?.health().state === 'fatal', 'fatal');
    expect(controller.health().error).toBe('3 events failed within 3600000 ms (maxFailedEventsInPeriod is 2)');
  });

  test('failed events older than failedEventsPeriod do not count', async () => {
    const clock = new SimulatedClock();
    const handler = recordingHandler('h', calls, {
      update: (ev) => {
        if (ev.getName().startsWith('Fail')) throw new Error(`${ev.getName()} failed`);
      },
    });
    controller = await startController({
      handlers: [handler],
      southbound: memoryFixture().southbound,
      clock,
      config: { maxFailedEventsInPeriod: 1, failedEventsPeriod: 1000, delayAfterErrorHealing: 3_600_000 },
    });
    controller.pushEvent(new DBResync({}));
    controller.pushEvent(new TestUpdate('Fail1'));
    await waitForHistory(controller, 2);
    clock.increment(1000);
    controller.pushEvent(new TestUpdate('Fail2'));
    await waitForHistory(controller, 3);
    expect(controller.health().live).toBe(true);
  });

  test('HealingResync descriptions say why', () => {
    expect(new HealingResync({ type: HealingResyncType.AfterError, error: new Error('x') }).toString()).toBe('Healing Resync (after error: x)');
  });
});
