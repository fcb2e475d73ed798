/** Closing never half-closes: a full queue, a pushed Shutdown, or a fatal error while stopping. */
import {
  ControllerClosedError,
  DBResync,
  EventQueueFullError,
  FatalError,
  Shutdown,
  type Controller,
} from '../../src';
import { gate, waitFor } from '../support/waitFor';
import { memoryFixture, names, recordingHandler, startController, TestUpdate, waitForHistory } from '../support/harness';

describe('closing', () => {
  let controller: Controller | undefined;
  const calls: string[] = [];
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    calls.length = 0;
  });

  test('close() while the main queue is full: the Shutdown still goes through the handlers, queued events are finished as closed', async () => {
    const held = gate();
    const handler = recordingHandler('h', calls, { update: (ev) => (ev.getName() === 'Held' ? held.promise : undefined) });
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound, config: { eventQueueSize: 2 } });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    controller.pushEvent(new TestUpdate('Held'));
    await waitFor(() => calls.includes('h.update(Held)'), 'Held in its handler');
    const queued = [new TestUpdate('Q1'), new TestUpdate('Q2')];
    for (const ev of queued) controller.pushEvent(ev);
    expect(() => controller?.pushEvent(new TestUpdate('Q3'))).toThrow(EventQueueFullError);

    const closed = controller.close();
    held.open();
    await closed;
    for (const ev of queued) await expect(ev.wait()).rejects.toBeInstanceOf(ControllerClosedError);
    expect(calls).toContain('h.update(Shutdown)');
    expect(names(controller)).toEqual(['Database Resync', 'Held', 'Shutdown']);
    expect(controller.health().state).toBe('stopped');
    // A later close() is the same, settled promise.
    await expect(controller.close()).resolves.toBeUndefined();
  });

  test('a Shutdown pushed with pushEvent closes the controller like close() does', async () => {
    controller = await startController({ handlers: [recordingHandler('h', calls)], southbound: memoryFixture().southbound });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    const shutdown = new Shutdown();
    controller.pushEvent(shutdown);
    await shutdown.wait();
    await waitFor(() => controller?.health().state === 'stopped', 'stopped');
    expect(calls).toEqual(['h.resync(Database Resync)', 'h.update(Shutdown)']);
    await expect(controller.close()).resolves.toBeUndefined();
    expect(() => controller?.pushEvent(new TestUpdate('Late'))).toThrow(ControllerClosedError);
    // A second Shutdown is finished once the controller is closed, without going through the handlers again.
    const second = new Shutdown();
    controller.pushEvent(second);
    await second.wait();
    expect(calls.filter((c) => c === 'h.update(Shutdown)')).toHaveLength(1);
  });

  test('a FatalError from an event processed after close() was called is not lost', async () => {
    const held = gate<Error>();
    const handler = recordingHandler('h', calls, {
      update: async (ev) => {
        if (ev.getName() === 'Held') throw await held.promise;
      },
    });
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound });
    controller.pushEvent(new DBResync({}));
    await waitForHistory(controller, 1);
    const heldEvent = new TestUpdate('Held');
    controller.pushEvent(heldEvent);
    await waitFor(() => calls.includes('h.update(Held)'), 'Held in its handler');
    const closed = controller.close();
    held.open(new FatalError(new Error('dataplane gone while closing')));
    await closed;
    await expect(heldEvent.wait()).rejects.toBeInstanceOf(FatalError);
    expect(controller.health()).toMatchObject({ state: 'stopped', live: false, error: 'dataplane gone while closing' });
  });
});
