import { clearTimeout, setTimeout } from 'node:timers';
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
/** How long the queue stays empty before the loop tells the machine it is idle, in milliseconds. */
export const IDLE_AFTER_MS = 10;

/**
 * The event loop actor: long-lived, it drains the queue whenever the queue's stream says events
 * are waiting. The wake-ups are delivered on the asap scheduler, so `pushEvent` returns before any
 * handler runs, and a burst of pushes is drained by one pass.
 */
export function eventLoopLogic(deps: EventLoopDeps) {
  return fromCallback<EventLoopCommand>(({ sendBack, receive }) => {
    const { queue, logger } = deps;
    const processor = deps.createProcessor((notification) => sendBack(notification));
    let stopped = false;
    /**
     * The loop tells the machine it is idle once the queue has stayed empty for IDLE_AFTER_MS.
     * Each transition of the machine costs several times an event's own work (about 7 KB of
     * garbage), and events rarely come one at a time: a caller that awaits each event before
     * pushing the next, or a steady stream (2,000 events/s arrive in 1-ms ticks), would otherwise
     * pay updating -> idle -> updating for nearly every event. One timer serves a whole busy
     * spell: a drain only notes when it ended, and the timer looks again when that is too recent.
     * Node's own timer, not the controller's clock: it paces a report, like the loop's own turns,
     * and is no delay of the semantics that tests move by hand.
     */
    let drainEndedAt = 0;
    let idleCheck: NodeJS.Timeout | undefined;
    const checkIdle = (): void => {
      idleCheck = undefined;
      // A drain running now looks again when it ends.
      if (stopped || queue.draining) return;
      const quietFor = performance.now() - drainEndedAt;
      if (quietFor >= IDLE_AFTER_MS) processor.setPhase('idle');
      else scheduleIdleCheck(IDLE_AFTER_MS - quietFor);
    };
    const scheduleIdleCheck = (delayMs: number): void => {
      // Unref'd: telling the machine it is idle is no reason to keep the process alive.
      idleCheck = setTimeout(checkIdle, Math.ceil(delayMs)).unref();
    };

    const drain = async (): Promise<void> => {
      if (queue.draining || stopped) return;
      queue.beginDrain();
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
          if (flushed) {
            await flushed;
            continue;
          }
          // From here on a push wakes the loop up; one that came without (during the flush) is taken now.
          if (stopped || !queue.endDrain()) break;
          queue.beginDrain();
        }
      } catch (defect) {
        // The processor never throws by design; if it does, the runtime itself is broken.
        logger.fatal({ err: defect }, 'event loop defect');
        sendBack({ type: 'loop.fatal', error: new FatalError(defect) });
      } finally {
        queue.endDrain();
      }
      if (stopped) return;
      drainEndedAt = performance.now();
      if (!idleCheck) scheduleIdleCheck(IDLE_AFTER_MS);
    };

    const subscription = queue.ready$.pipe(observeOn(asapScheduler)).subscribe(() => void drain());
    receive((command) => {
      if (command.type === 'abort') queue.abort(command.error);
    });
    void drain();
    return () => {
      stopped = true;
      if (idleCheck) clearTimeout(idleCheck);
      subscription.unsubscribe();
    };
  });
}
