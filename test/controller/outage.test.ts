/**
 * A southbound outage is not an error of the configuration: the controller stays live (not
 * ready), keeps processing events, retries with a doubling backoff, never counts the outage as a
 * failed healing, and converges with a full resync once a commit goes through again.
 */
import { SimulatedClock } from 'xstate';
import {
  DBResync,
  EventMethodType,
  HealingResync,
  KubeStateChange,
  SouthboundUnavailableError,
  TransactionError,
  type Controller,
} from '../../src';
import { pod, value } from '../support/messages';
import { waitFor } from '../support/waitFor';
import { capturingLogger, memoryFixture, names, recordingHandler, startController, waitForHistory } from '../support/harness';

const podHandler = (calls: string[]) =>
  recordingHandler('pods', calls, {
    resync: (_ev, kubeState, _n, txn) => {
      for (const key of kubeState.get('pod')?.keys() ?? []) txn.put(`cfg/${key}`, value({ name: key }));
    },
    update: (ev, txn) => {
      if (!(ev instanceof KubeStateChange)) return;
      if (ev.newValue) txn.put(`cfg/${ev.key}`, value({ name: ev.key }));
      else txn.delete(`cfg/${ev.key}`);
    },
  });

const podAdded = (name: string) => new KubeStateChange({ key: name, resource: 'pod', newValue: pod(name) });
const RETRY_MESSAGE = /^southbound unavailable, retrying in [\d.]+ s$/;

describe('southbound outage', () => {
  let controller: Controller | undefined;
  const calls: string[] = [];
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    calls.length = 0;
  });

  test('live but not ready, events go on, retries back off (doubling, capped) without ever going fatal; a full resync converges', async () => {
    const fixture = memoryFixture();
    const { logger, lines } = capturingLogger();
    controller = await startController({
      handlers: [podHandler(calls)],
      southbound: fixture.southbound,
      logger,
      config: { delayAfterErrorHealing: 10, maxHealingBackoff: 40 },
    });
    const healingCauses: (string | undefined)[] = [];
    controller.processed$.subscribe((p) => p.record.name === HealingResync.eventName && healingCauses.push(p.healingCause));
    controller.pushEvent(new DBResync({ kubeState: new Map([['pod', new Map([['a', pod('a')]])]]) }));
    await waitFor(() => controller?.health().ready === true, 'startup resync');

    fixture.memory.setUnavailable(true);
    const b = podAdded('b');
    controller.pushEvent(b);
    const error = await new Promise<unknown>((resolve) => b.done = resolve as never);
    expect(error).toBeInstanceOf(SouthboundUnavailableError);
    expect(error).toBeInstanceOf(TransactionError);
    expect(controller.health()).toMatchObject({ live: true, ready: false, southboundAvailable: false });

    const retries = () => lines.filter((l) => typeof l.msg === 'string' && RETRY_MESSAGE.test(l.msg));
    await waitFor(() => retries().length >= 5, 'five retries announced');
    expect(retries().slice(0, 5).map((l) => [l.level, l.retryInMs])).toEqual([
      [40, 10],
      [40, 20],
      [40, 40],
      [40, 40],
      [40, 40],
    ]);
    // Events keep being processed meanwhile: the handlers see them, nothing is lost.
    controller.pushEvent(podAdded('c'));
    await waitFor(() => calls.includes('pods.update(Kubernetes State Change)') && calls.filter((c) => c.startsWith('pods.update')).length === 2, 'c processed');
    expect(controller.health()).toMatchObject({ live: true, ready: false, state: expect.not.stringMatching('fatal') });
    const failedHealings = controller.eventHistory().filter((r) => r.name === HealingResync.eventName);
    expect(failedHealings.length).toBeGreaterThanOrEqual(3);
    for (const healing of failedHealings) expect(healing.txnError).toMatch(/southbound unavailable/);

    fixture.memory.setUnavailable(false);
    await waitFor(() => controller?.health().ready === true, 'ready again after the outage', 30000);
    const last = controller.eventHistory().filter((r) => r.name === HealingResync.eventName).at(-1);
    expect(last).toMatchObject({ method: EventMethodType.FullResync });
    expect(last?.txnError).toBeUndefined();
    expect(await fixture.applied()).toEqual({ 'cfg/a': { name: 'a' }, 'cfg/b': { name: 'b' }, 'cfg/c': { name: 'c' } });
    expect(controller.health()).toMatchObject({ live: true, ready: true, southboundAvailable: true });
    expect(new Set(healingCauses)).toEqual(new Set(['outage']));
  });

  test('while unavailable, updates are not sent: they fail at once and wait in the internal config for the resync', async () => {
    const fixture = memoryFixture();
    controller = await startController({ handlers: [podHandler(calls)], southbound: fixture.southbound, config: { delayAfterErrorHealing: 60000 } });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    fixture.memory.setUnavailable(true);
    controller.pushEvent(podAdded('a'));
    await waitForHistory(controller, 2);
    const sentBefore = fixture.memory.transactions.length;
    fixture.memory.setUnavailable(false);
    const b = podAdded('b');
    controller.pushEvent(b);
    await waitForHistory(controller, 3);
    // b was not sent although the southbound is back: only a resync probes it.
    expect(fixture.memory.transactions.length).toBe(sentBefore);
    expect(controller.eventHistory({ last: 1 })[0].txnError).toBe('transaction failed: southbound unavailable: transaction deferred to the resync after the outage');
    expect(controller.getConfig('cfg/b')).toBeDefined();
  });

  test('a startup resync whose commit failed is not ready until a later resync reaches the southbound', async () => {
    const clock = new SimulatedClock();
    const fixture = memoryFixture();
    const undo = fixture.memory.injectFailure({ keys: 'cfg/a', times: 1, error: 'dataplane refused' });
    controller = await startController({ handlers: [podHandler(calls)], southbound: fixture.southbound, clock, config: { delayAfterErrorHealing: 1000 } });
    controller.pushEvent(new DBResync({ kubeState: new Map([['pod', new Map([['a', pod('a')]])]]) }));
    await waitForHistory(controller, 1);
    expect(controller.eventHistory()[0].txnError).toBe('transaction failed: cfg/a (CREATE): dataplane refused');
    expect(controller.health()).toMatchObject({ live: true, ready: false, southboundAvailable: true, state: 'idle' });
    clock.increment(1000);
    await waitFor(() => names(controller as Controller).includes('Healing Resync') && controller?.health().state === 'idle', 'healing resync');
    expect(controller.health()).toMatchObject({ live: true, ready: true });
    undo();
  });

  test('a startup resync that meets an unavailable southbound starts the outage handling', async () => {
    const fixture = memoryFixture();
    const { logger, lines } = capturingLogger();
    fixture.memory.setUnavailable(true);
    controller = await startController({ handlers: [podHandler(calls)], southbound: fixture.southbound, logger, config: { delayAfterErrorHealing: 10 } });
    controller.pushEvent(new DBResync({ kubeState: new Map([['pod', new Map([['a', pod('a')]])]]) }));
    await waitFor(() => lines.some((l) => typeof l.msg === 'string' && RETRY_MESSAGE.test(l.msg)), 'retry announced');
    expect(controller.health()).toMatchObject({ live: true, ready: false, southboundAvailable: false });
    fixture.memory.setUnavailable(false);
    await waitFor(() => controller?.health().ready === true, 'ready once the southbound is there');
    expect(await fixture.applied()).toEqual({ 'cfg/a': { name: 'a' } });
  });

  test('a commit the southbound never answers is an outage after commitTimeout, not a wedged loop', async () => {
    let hang = false;
    const fixture = memoryFixture();
    const commit = fixture.memory.commit.bind(fixture.memory);
    fixture.memory.commit = (request) => (hang ? new Promise(() => undefined) : commit(request));
    controller = await startController({ handlers: [podHandler(calls)], southbound: fixture.southbound, config: { commitTimeout: 30, delayAfterErrorHealing: 10 } });
    controller.pushEvent(new DBResync({}));
    await waitFor(() => controller?.health().ready === true, 'startup resync');
    hang = true;
    const a = podAdded('a');
    controller.pushEvent(a);
    await expect(new Promise((resolve) => (a.done = resolve as never))).resolves.toBeInstanceOf(SouthboundUnavailableError);
    expect(controller.eventHistory({ last: 1 })[0].txnError).toBe('transaction failed: southbound unavailable: commit not answered within 30 ms');
    expect(controller.health()).toMatchObject({ live: true, southboundAvailable: false });
    hang = false;
    await waitFor(() => controller?.health().ready === true, 'ready after the hung commit');
    expect(await fixture.applied()).toEqual({ 'cfg/a': { name: 'a' } });
  });
});
