/**
 * Supervision of the handlers: whatever a handler does (hangs, returns a hostile thenable, throws
 * values that are not Errors or whose getters throw), the event fails with a clear error, is
 * finished exactly once, and the loop goes on. Also: defects outside the handler calls, and
 * processed$ subscribers that throw.
 */
import { map } from 'rxjs';
import {
  AbortEventError,
  DBResync,
  EventProcessingError,
  HandlerTimeoutError,
  InvalidEventError,
  NonErrorThrownError,
  TransactionClosedError,
  UpdateTransactionType,
  type Controller,
  type UpdateOperations,
} from '../../src';
import { value } from '../support/messages';
import { gate, waitFor } from '../support/waitFor';
import { capturingLogger, memoryFixture, names, recordingHandler, startController, TestUpdate, waitForHistory } from '../support/harness';

describe('handler supervision', () => {
  let controller: Controller | undefined;
  const calls: string[] = [];
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    calls.length = 0;
  });

  test('a handler whose promise never settles is failed with HandlerTimeoutError; the loop goes on and healing follows', async () => {
    const never = new Promise<void>(() => undefined);
    const handler = recordingHandler('hangs', calls, { update: (ev) => (ev.getName() === 'Hang' ? never : undefined) });
    const { logger, lines } = capturingLogger();
    controller = await startController({ handlers: [handler, recordingHandler('next', calls)], southbound: memoryFixture().southbound, logger, config: { handlerTimeout: 30, delayAfterErrorHealing: 1 } });
    controller.pushEvent(new DBResync({}));
    const hang = new TestUpdate('Hang');
    const after = new TestUpdate('After');
    controller.pushEvent(hang);
    controller.pushEvent(after);
    const error = await hang.wait().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerTimeoutError);
    expect(error).toBeInstanceOf(AbortEventError);
    expect((error as Error).message).toBe('handler "hangs" did not finish update() within 30 ms');
    await after.wait();
    // An abort stops the event: the next handler is not called for it.
    expect(calls).toContain('next.update(After)');
    expect(calls).not.toContain('next.update(Hang)');
    const record = controller.eventHistory().find((r) => r.name === 'Hang');
    expect(record?.handlers).toEqual([{ handler: 'hangs', revert: false, error: (error as Error).message, timedOut: true }]);
    await waitFor(() => names(controller as Controller).includes('Healing Resync'), 'healing after the timeout');
    expect(lines.some((l) => l.msg === 'finalized event' && l.seqNum === record?.seqNum)).toBe(true);
  });

  test('a late settlement after the timeout is logged and ignored; a write to the closed transaction fails', async () => {
    const late = gate();
    let lateWrite: unknown;
    const handler = recordingHandler('slow', calls, {
      update: async (ev, txn: UpdateOperations) => {
        if (ev.getName() !== 'Slow') return;
        await late.promise;
        try {
          txn.put('cfg/late', value({ name: 'late' }));
        } catch (error) {
          lateWrite = error;
        }
        return 'too late';
      },
    });
    const { logger, lines } = capturingLogger();
    const fixture = memoryFixture();
    controller = await startController({ handlers: [handler], southbound: fixture.southbound, logger, config: { handlerTimeout: 20, delayAfterErrorHealing: 60000 } });
    controller.pushEvent(new DBResync({}));
    const slow = new TestUpdate('Slow');
    controller.pushEvent(slow);
    await expect(slow.wait()).rejects.toBeInstanceOf(HandlerTimeoutError);
    late.open();
    await waitFor(() => lines.some((l) => l.msg === "handler call settled after its timeout; its outcome is ignored"), 'late settlement logged');
    expect(lines.find((l) => l.msg === "handler call settled after its timeout; its outcome is ignored")).toMatchObject({ handler: 'slow', call: 'update', level: 40 });
    expect(lateWrite).toBeInstanceOf(TransactionClosedError);
    expect(fixture.memory.applied.has('cfg/late')).toBe(false);
  });

  test('handlesEvent that never settles times out too, and close() returns although the handler hangs', async () => {
    const handler = recordingHandler('stuck', calls, { handles: (ev) => (ev.getName() === 'Shutdown' || ev.getName() === 'Stuck' ? new Promise<boolean>(() => undefined) : true) });
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound, config: { handlerTimeout: 20, delayAfterErrorHealing: 60000 } });
    controller.pushEvent(new DBResync({}));
    const stuck = new TestUpdate('Stuck');
    controller.pushEvent(stuck);
    await expect(stuck.wait()).rejects.toThrow('handler "stuck" did not finish handlesEvent() within 20 ms');
    await controller.close();
    expect(controller.health().state).toBe('stopped');
    expect(controller.eventHistory().at(-1)).toMatchObject({ name: 'Shutdown', handlers: [{ handler: 'stuck', timedOut: true }] });
  });

  test('a thenable whose then() throws fails the event; the loop and the actor system go on', async () => {
    const hostile = { then: () => { throw new Error('then exploded'); } };
    const handler = recordingHandler('h', calls, { update: (ev) => (ev.getName() === 'Hostile' ? (hostile as unknown as Promise<void>) : undefined) });
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound, config: { delayAfterErrorHealing: 60000 } });
    controller.pushEvent(new DBResync({}));
    const hostileEvent = new TestUpdate('Hostile');
    const after = new TestUpdate('After');
    controller.pushEvent(hostileEvent);
    controller.pushEvent(after);
    await expect(hostileEvent.wait()).rejects.toThrow('then exploded');
    await after.wait();
    expect(controller.actor.getSnapshot().status).toBe('active');
    expect(controller.health().live).toBe(true);
  });

  test('a thenable whose then getter throws, or that settles twice, is handled as one outcome', async () => {
    const getterThrows = Object.defineProperty({}, 'then', { get: () => { throw new Error('then getter exploded'); } });
    const twice = { then: (resolve: () => void, reject: (e: Error) => void) => { resolve(); reject(new Error('second settlement')); resolve(); } };
    const handler = recordingHandler('h', calls, {
      update: (ev) => (ev.getName() === 'Getter' ? (getterThrows as Promise<void>) : ev.getName() === 'Twice' ? (twice as unknown as Promise<void>) : undefined),
    });
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound, config: { delayAfterErrorHealing: 60000 } });
    controller.pushEvent(new DBResync({}));
    const getter = new TestUpdate('Getter');
    const settledTwice = new TestUpdate('Twice');
    controller.pushEvent(getter);
    controller.pushEvent(settledTwice);
    await expect(getter.wait()).rejects.toThrow('then getter exploded');
    await settledTwice.wait();
    await waitForHistory(controller, 3);
    expect(controller.eventHistory().filter((r) => r.name === 'Twice')).toHaveLength(1);
  });

  test.each([
    ['Object.create(null)', () => Object.create(null) as unknown, 'non-Error thrown: [object Object]'],
    ['an object whose message getter throws', () => ({ get message(): string { throw new Error('getter'); } }), 'non-Error thrown: [object Object]'],
    [
      'an Error whose message getter throws',
      () => Object.defineProperty(new Error('x'), 'message', { get: () => { throw new Error('getter'); } }),
      'non-Error thrown: [object Error]',
    ],
    ['undefined', () => undefined, 'non-Error thrown: undefined'],
  ])('a handler that throws %s fails its event with a readable error, is logged, and the controller goes on', async (_what, thrown, message) => {
    const handler = recordingHandler('h', calls, {
      update: (ev) => {
        if (ev.getName() === 'Throws') throw thrown();
      },
    });
    const { logger, lines } = capturingLogger();
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound, logger, config: { delayAfterErrorHealing: 60000 } });
    controller.pushEvent(new DBResync({}));
    const throws = new TestUpdate('Throws');
    const after = new TestUpdate('After');
    controller.pushEvent(throws);
    controller.pushEvent(after);
    const error = await throws.wait().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonErrorThrownError);
    expect((error as Error).message).toBe(message);
    await after.wait();
    await waitForHistory(controller, 3);
    expect(controller.health()).toMatchObject({ live: true, state: 'idle' });
    expect(lines.some((l) => l.msg === 'finalized event' && (l.errors as Record<string, string> | undefined)?.h === message)).toBe(true);
  });

  test('an exception outside the handler calls fails that event (done() is called) instead of the loop', async () => {
    const handler = recordingHandler('h', calls);
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound, config: { delayAfterErrorHealing: 60000 } });
    let doneWith: unknown = 'not called';
    const resync = new (class extends DBResync {
      override done(err?: Error | null): void {
        doneWith = err;
      }
    })({ kubeState: new Map() });
    controller.pushEvent(resync);
    // Broken after the push checks: the bookkeeping step meets it.
    resync.kubeState.set('pod', 'garbage' as never);
    await waitFor(() => doneWith !== 'not called', 'the broken DBResync finished');
    expect(doneWith).toBeInstanceOf(EventProcessingError);
    expect((doneWith as Error).message).toMatch(/^bookkeeping failed: /);
    const after = new TestUpdate('After');
    controller.pushEvent(after);
    await after.wait();
    expect(controller.health().live).toBe(true);
  });

  test('a DBResync whose kubeState is not a Map is refused at push with InvalidEventError', async () => {
    controller = await startController({ handlers: [], southbound: memoryFixture().southbound });
    expect(() => controller?.pushEvent(new DBResync({ kubeState: { pod: {} } as never }))).toThrow(InvalidEventError);
    expect(() => controller?.pushEvent(new DBResync({ kubeState: new Map([['pod', new Map([['k', { name: 'not a message' }]])]]) as never }))).toThrow(
      'DBResync kubeState "pod": value of "k" is not a protobufjs message',
    );
  });

  test('AbortEventError of a BestEffortIgnoreErrors event stops it without scheduling healing', async () => {
    const handler = recordingHandler('h', calls, {
      update: (ev) => {
        if (ev.getName() === 'Abort') throw new AbortEventError(new Error('give up on this one'));
      },
    });
    controller = await startController({ handlers: [handler, recordingHandler('second', calls)], southbound: memoryFixture().southbound, config: { delayAfterErrorHealing: 1 } });
    controller.pushEvent(new DBResync({}));
    const abort = new TestUpdate('Abort', UpdateTransactionType.BestEffortIgnoreErrors);
    controller.pushEvent(abort);
    await expect(abort.wait()).rejects.toBeInstanceOf(AbortEventError);
    expect(calls).not.toContain('second.update(Abort)');
    expect(controller.actor.getSnapshot().matches({ running: { healing: 'clear' } })).toBe(true);
    // The same abort for a BestEffort event does schedule healing.
    const bestEffort = new TestUpdate('Abort');
    controller.pushEvent(bestEffort);
    await expect(bestEffort.wait()).rejects.toBeInstanceOf(AbortEventError);
    await waitFor(() => names(controller as Controller).includes('Healing Resync'), 'healing after a best-effort abort');
  });

  test('a processed$ subscriber that throws is contained: logged, never an uncaught exception, the loop goes on', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => {
      uncaught.push(error);
    };
    process.on('uncaughtException', onUncaught);
    try {
      const { logger, lines } = capturingLogger();
      controller = await startController({ handlers: [recordingHandler('h', calls)], southbound: memoryFixture().southbound, logger });
      controller.processed$.subscribe(() => {
        throw new Error('subscriber exploded');
      });
      controller.processed$.pipe(map(() => { throw new Error('operator exploded'); })).subscribe({ next: () => undefined });
      const seen: number[] = [];
      controller.processed$.subscribe((p) => seen.push(p.record.seqNum));
      controller.pushEvent(new DBResync({}));
      const after = new TestUpdate('After');
      controller.pushEvent(after);
      await after.wait();
      // RxJS would rethrow on a timer: give timers a turn before looking.
      await new Promise((resolve) => setTimeout(resolve, 0));
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(uncaught).toEqual([]);
      expect(seen).toEqual([0, 1]);
      const failures = lines.filter((l) => l.msg === 'a processed$ subscriber failed; the controller goes on');
      expect(failures.map((l) => (l.err as { message: string }).message)).toEqual(['subscriber exploded', 'operator exploded', 'subscriber exploded']);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
