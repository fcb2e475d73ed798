import { setImmediate as nextTurn } from 'node:timers/promises';
import { observeOn } from 'rxjs/internal/operators/observeOn'; // not 'rxjs': see src/loop/eventQueue.ts
import { asapScheduler } from 'rxjs/internal/scheduler/asap';
import type { Logger } from 'pino';
import { fromCallback } from 'xstate';
import { FatalError } from '../src/api/errors';
import type { EventLoopCommand } from '../machines/controller.machine';
import type { LoopNotification } from '../machines/controller.events';
import type { EventQueue } from '../src/loop/eventQueue';
import type { EventProcessor } from '../src/loop/eventProcessor';

export interface EventLoopDeps {
  queue: EventQueue;
  logger: Logger;
  /** The processor reports to the machine through the loop actor's `sendBack`. */
  createProcessor(notify: (notification: LoopNotification) => void): EventProcessor;
}

/** The longest the loop works without letting the event loop's I/O in, in milliseconds. */
const SLICE_MS = 10;
/** Events between two looks at the clock (a clock read per event would cost more than it saves). */
const SLICE_CHECK_EVERY = 32;

/**
 * The event loop actor: long-lived, it drains the queue whenever the queue's stream says events
 * are waiting. The wake-ups are delivered on the asap scheduler, so `pushEvent` returns before any
 * handler runs, and a burst of pushes is drained by one pass.
 */
export function eventLoopLogic(deps: EventLoopDeps) {
  return fromCallback<EventLoopCommand>(({ sendBack, receive }) => {
    const { queue, logger } = deps;
    const processor = deps.createProcessor((notification) => sendBack(notification));
    let draining = false;
    let stopped = false;
    /**
     * The loop tells the machine it is idle one macrotask after the queue ran dry, unless events
     * came meanwhile: a caller that awaits each event before pushing the next (or a steady
     * stream whose next event is already due) would otherwise cost two machine transitions per
     * event, updating -> idle -> updating, each several times the cost of the event's own work.
     */
    let idleAnnouncement: NodeJS.Immediate | undefined;
    const announceIdle = (): void => {
      idleAnnouncement = undefined;
      if (!stopped && !draining) processor.setPhase('idle');
    };

    const drain = async (): Promise<void> => {
      if (draining || stopped) return;
      draining = true;
      if (idleAnnouncement) {
        clearImmediate(idleAnnouncement);
        idleAnnouncement = undefined;
      }
      try {
        let sliceStart = performance.now();
        let sinceCheck = 0;
        for (;;) {
          for (let next = queue.next(); next && !stopped; next = queue.next()) {
            const pending = processor.process(next);
            if (pending) await pending;
            // Synchronous handlers and southbound (or a chain of resolved promises) never give
            // the event loop's I/O a turn: after a slice of continuous work, yield a macrotask
            // so that probes, REST and the southbound's own traffic are served during a burst.
            if (++sinceCheck >= SLICE_CHECK_EVERY) {
              sinceCheck = 0;
              if (performance.now() - sliceStart >= SLICE_MS) {
                await nextTurn();
                sliceStart = performance.now();
              }
            }
          }
          // A coalesced batch still open is committed; events pushed meanwhile are taken after it.
          const flushed = stopped ? undefined : processor.flush();
          if (!flushed) break;
          await flushed;
        }
      } catch (defect) {
        // The processor never throws by design; if it does, the runtime itself is broken.
        logger.fatal({ err: defect }, 'event loop defect');
        sendBack({ type: 'loop.fatal', error: new FatalError(defect) });
      } finally {
        draining = false;
      }
      if (!stopped) idleAnnouncement = setImmediate(announceIdle);
    };

    const subscription = queue.ready$.pipe(observeOn(asapScheduler)).subscribe(() => void drain());
    receive((command) => {
      if (command.type === 'abort') queue.abort(command.error);
    });
    void drain();
    return () => {
      stopped = true;
      if (idleAnnouncement) clearImmediate(idleAnnouncement);
      subscription.unsubscribe();
    };
  });
}
