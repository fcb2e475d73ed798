/**
 * What the loop costs between events when a caller awaits each event before pushing the next, or
 * pushes a steady stream: the machine hears of the loop's phase only when it changes for good
 * (idle is announced once the queue has stayed empty for IDLE_AFTER_MS), and a commit the
 * southbound answers in a microtask costs no turn of the event loop before the next event.
 */
import pino from 'pino';
import type { InspectionEvent } from 'xstate';
import { createController, DBResync, type CommitResult, type Controller, type Southbound } from '../../src';
import { IDLE_AFTER_MS } from '../../actors/eventLoop';
import { value } from '../support/messages';
import { recordingHandler, TestUpdate } from '../support/harness';
import { waitFor } from '../support/waitFor';

/** A southbound in this process that answers at once (`async`: in a microtask), as an embedding's own might. */
class AnsweringSouthbound implements Southbound {
  commits = 0;
  constructor(private readonly answer: 'at once' | 'in a microtask') {}
  commit(): CommitResult | Promise<CommitResult> {
    this.commits++;
    return this.answer === 'at once' ? {} : Promise.resolve({});
  }
}

describe('the loop between awaited events', () => {
  let controller: Controller | undefined;
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
  });

  async function started(southbound: Southbound, coalesceUpdates: boolean, phases?: string[]): Promise<Controller> {
    const calls: string[] = [];
    const handler = recordingHandler('config', calls, {
      update: (event, txn) => {
        txn.put(`cfg/${event.getName()}`, value({ name: event.getName() }));
        return '';
      },
    });
    const inspect = phases && ((event: InspectionEvent) => {
      if (event.type === '@xstate.event' && event.event.type === 'loop.phase') phases.push(String(event.event.phase));
    });
    const created = createController({
      handlers: [handler],
      southbound,
      logger: pino({ level: 'silent' }),
      config: { coalesceUpdates },
      ...(inspect && { inspect }),
    });
    controller = created;
    await created.start();
    created.pushEvent(new DBResync());
    await waitFor(() => created.eventHistory().length === 1 && created.health().state === 'idle', 'the startup resync processed');
    return created;
  }

  for (const coalesceUpdates of [false, true]) {
    const mode = coalesceUpdates ? 'coalesced' : 'strict';

    it(`tells the machine of no phase per event when each is awaited before the next (${mode})`, async () => {
      const phases: string[] = [];
      const southbound = new AnsweringSouthbound('at once');
      const running = await started(southbound, coalesceUpdates, phases);
      phases.length = 0;
      for (let i = 0; i < 50; i++) {
        const update = new TestUpdate(`update ${i}`);
        running.pushEvent(update);
        await update.wait();
      }
      expect(southbound.commits).toBe(51);
      // Before: updating and idle for every event (100 transitions of the machine).
      expect(phases.length).toBeLessThanOrEqual(2);
      // Idle is still announced once the queue stays empty.
      await waitFor(() => running.health().state === 'idle', 'the loop idle after the last event');
      expect(phases[phases.length - 1]).toBe('idle');
      expect(running.eventHistory({ last: 50 }).map((r) => r.name)).toEqual(Array.from({ length: 50 }, (_, i) => `update ${i}`));
    });

    it(`tells the machine of no phase per event in a steady stream with gaps shorter than ${IDLE_AFTER_MS} ms (${mode})`, async () => {
      const phases: string[] = [];
      const southbound = new AnsweringSouthbound('in a microtask');
      const running = await started(southbound, coalesceUpdates, phases);
      phases.length = 0;
      const updates: TestUpdate[] = [];
      // Gaps between pushes as long as IDLE_AFTER_MS (a 1 ms timer can fire that late on a
      // loaded machine): only in those may the loop tell the machine it is idle.
      let longGaps = 0;
      let lastPush = performance.now();
      for (let i = 0; i < 50; i++) {
        // A timer of 1 ms between pushes: the queue runs dry before each next event comes.
        await new Promise((resolve) => setTimeout(resolve, 1));
        const now = performance.now();
        if (now - lastPush >= IDLE_AFTER_MS) longGaps++;
        lastPush = now;
        const update = new TestUpdate(`update ${i}`);
        updates.push(update);
        running.pushEvent(update);
      }
      await Promise.all(updates.map((update) => update.wait()));
      // Idle one macrotask after the queue ran dry gave updating and idle for every event (100).
      // Now: updating at the first event, idle and updating again only around a long gap, and
      // the last idle if it came already.
      expect(phases.length).toBeLessThanOrEqual(2 + 2 * longGaps);
      await waitFor(() => running.health().state === 'idle', 'the loop idle after the stream');
      expect(phases[phases.length - 1]).toBe('idle');
    });

    it(`takes the next awaited event in the same macrotask when commits are answered in microtasks (${mode})`, async () => {
      const southbound = new AnsweringSouthbound('in a microtask');
      const running = await started(southbound, coalesceUpdates);
      let turned = false;
      const turn = setImmediate(() => (turned = true));
      for (let i = 0; i < 5; i++) {
        const update = new TestUpdate(`update ${i}`);
        running.pushEvent(update);
        await update.wait();
      }
      clearImmediate(turn);
      // Before, the loop took a turn of the event loop after each commit (tens of µs each here)
      // although it waited for the answer anyway: the next event waited for that turn.
      expect(turned).toBe(false);
      expect(southbound.commits).toBe(6);
    });
  }
});
