import { DBResync, KubeStateChange, type Controller } from '../../src';
import { grpcFixture, type GrpcFixture } from '../southbound/grpcFixture';
import { pod, value } from '../support/messages';
import { waitFor } from '../support/waitFor';
import { names, recordingHandler, startController } from '../support/harness';

/** The controller end to end over gRPC while the reference southbound restarts and loses its state. */
describe('controller with a restarting gRPC southbound', () => {
  let fixture: GrpcFixture;
  let controller: Controller | undefined;

  beforeEach(async () => {
    fixture = await grpcFixture();
  });
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    await fixture.close();
  });

  const podHandler = () =>
    recordingHandler('pods', [], {
      resync: (_ev, kubeState, _n, txn) => {
        for (const key of kubeState.get('pod')?.keys() ?? []) txn.put(`cfg/${key}`, value({ name: key }));
      },
      update: (ev, txn) => {
        if (!(ev instanceof KubeStateChange)) return;
        if (ev.newValue) txn.put(`cfg/${ev.key}`, value({ name: ev.key }));
        else txn.delete(`cfg/${ev.key}`);
      },
    });
  const podsSeen = () => controller?.eventHistory().filter((r) => r.name === KubeStateChange.eventName).length ?? 0;

  test('a restart between two events: the next event reveals it and a full resync restores the whole desired state', async () => {
    controller = await startController({ handlers: [podHandler()], southbound: fixture.southbound });
    controller.pushEvent(new DBResync({ kubeState: new Map([['pod', new Map([['a', pod('a')], ['b', pod('b')]])]]) }));
    await waitFor(() => controller?.health().ready === true, 'startup resync');
    expect(await fixture.applied()).toEqual({ 'cfg/a': { name: 'a' }, 'cfg/b': { name: 'b' } });

    // Not looked at through the client here: any answer of the new instance reveals the restart.
    await fixture.restart();
    controller.pushEvent(new KubeStateChange({ key: 'c', resource: 'pod', newValue: pod('c') }));
    await waitFor(() => names(controller as Controller).includes('Healing Resync') && controller?.health().state === 'idle', 'full resync after the reset');

    expect(names(controller)).toEqual(['Database Resync', 'Kubernetes State Change', 'Healing Resync']);
    expect(controller.eventHistory()[2].txn?.resyncType).toBe('full');
    expect(await fixture.applied()).toEqual({ 'cfg/a': { name: 'a' }, 'cfg/b': { name: 'b' }, 'cfg/c': { name: 'c' } });
  });

  test('events while the southbound is down fail; the healing resync converges once it is back', async () => {
    controller = await startController({ handlers: [podHandler()], southbound: fixture.southbound, config: { delayAfterErrorHealing: 300 } });
    controller.pushEvent(new DBResync({ kubeState: new Map([['pod', new Map([['a', pod('a')]])]]) }));
    await waitFor(() => controller?.health().ready === true, 'startup resync');

    await fixture.server.stop();
    controller.pushEvent(new KubeStateChange({ key: 'b', resource: 'pod', newValue: pod('b') }));
    await waitFor(() => podsSeen() === 1, 'the change processed while the southbound is down');
    expect(controller.eventHistory({ last: 1 })[0].txnError).toMatch(/unreachable|UNAVAILABLE|connect/i);

    await fixture.restart();
    await waitFor(
      () => controller?.eventHistory().some((r) => r.name === 'Healing Resync' && r.txnError === undefined) === true && controller.health().state === 'idle',
      'a healing resync that succeeded',
      30000,
    );
    expect(controller.health()).toMatchObject({ live: true, ready: true });
    expect(await fixture.applied()).toEqual({ 'cfg/a': { name: 'a' }, 'cfg/b': { name: 'b' } });
  });

  test('a restart in the middle of a burst whose commits overlap: every event finished once, in order, and the whole desired state restored', async () => {
    const finished: string[] = [];
    const handler = recordingHandler('pods', [], {
      resync: podHandler().resync,
      // The southbound restarts while the commits of the batches before p120 are out.
      update: async (ev, txn) => {
        if (!(ev instanceof KubeStateChange)) return;
        if (ev.key === 'p120') await fixture.restart();
        if (ev.newValue) txn.put(`cfg/${ev.key}`, value({ name: ev.key }));
      },
    });
    controller = await startController({ handlers: [handler], southbound: fixture.southbound, config: { maxCoalescedEvents: 8, delayAfterErrorHealing: 50 } });
    controller.pushEvent(new DBResync({}));
    await waitFor(() => controller?.health().ready === true, 'startup resync');
    const pods = Array.from({ length: 400 }, (_, i) => `p${i}`);
    for (const name of pods) {
      const ev = new KubeStateChange({ key: name, resource: 'pod', newValue: pod(name) });
      ev.done = () => finished.push(name);
      controller.pushEvent(ev);
    }
    await waitFor(
      () => finished.length === pods.length && controller?.eventHistory().some((r) => r.name === 'Healing Resync' && r.txn?.resyncType === 'full' && !r.txnError) && controller.health().ready,
      'the burst finished and a full resync went through',
      30000,
    );
    expect(finished).toEqual(pods);
    expect(await fixture.applied()).toEqual(Object.fromEntries(pods.map((name) => [`cfg/${name}`, { name }])));
  });

  test('a long outage (several failed retries) never makes the controller fatal; it converges once the southbound is back', async () => {
    controller = await startController({
      handlers: [podHandler()],
      southbound: fixture.southbound,
      config: { delayAfterErrorHealing: 50, maxHealingBackoff: 200 },
    });
    controller.pushEvent(new DBResync({ kubeState: new Map([['pod', new Map([['a', pod('a')]])]]) }));
    await waitFor(() => controller?.health().ready === true, 'startup resync');

    await fixture.server.stop();
    controller.pushEvent(new KubeStateChange({ key: 'b', resource: 'pod', newValue: pod('b') }));
    const failedRetries = () => controller?.eventHistory().filter((r) => r.name === 'Healing Resync' && r.txnError !== undefined).length ?? 0;
    await waitFor(() => failedRetries() >= 3, 'three failed retries', 60000);
    expect(controller.health()).toMatchObject({ live: true, ready: false, southboundAvailable: false });
    controller.pushEvent(new KubeStateChange({ key: 'c', resource: 'pod', newValue: pod('c') }));

    await fixture.restart();
    await waitFor(() => controller?.health().ready === true, 'ready after the outage', 60000);
    expect(controller.health()).toMatchObject({ live: true, southboundAvailable: true });
    expect(await fixture.applied()).toEqual({ 'cfg/a': { name: 'a' }, 'cfg/b': { name: 'b' }, 'cfg/c': { name: 'c' } });
  });
});
