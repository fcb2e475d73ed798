import type { Controller } from '../controller';
import { SettleTimeoutError } from './errors';
import type { TestClock } from './testClock';

const BUSY_STATES = new Set(['resyncing', 'updating', 'reverting']);

/** Why the controller is not settled yet, or undefined when it is; 'due' when only due timers are left. */
export function unsettledReason(controller: Controller, clock: TestClock): string | undefined {
  const snapshot = controller.actor.getSnapshot();
  // Stopped (or broken): nothing more will happen.
  if (snapshot.status !== 'active') return undefined;
  const depths = controller.queueDepths();
  if (depths.main + depths.followUp > 0) return `${depths.main} event(s) queued, ${depths.followUp} follow-up(s)`;
  const current = controller.currentEvent();
  if (current) {
    const waiting = current.waitingFor;
    const on = !waiting ? '' : 'commit' in waiting ? ', waiting for its commit' : `, waiting for ${waiting.handler}.${waiting.call}()`;
    return `event #${current.seqNum} "${current.name}" is being processed${on}`;
  }
  const state = controller.health().state;
  if (BUSY_STATES.has(state)) return `the loop is ${state}`;
  if (snapshot.matches({ running: { healing: 'queued' } })) return 'a healing resync is queued';
  const due = clock.nextDue();
  if (due !== undefined && due <= clock.now()) return 'due';
  return undefined;
}

/**
 * Turns without any progress after which a running call is taken to wait for simulated time
 * (a handler awaiting a timer of the clock, a call that only its timeout ends).
 */
const STUCK_TURNS = 50;

/** Everything that changes while the loop makes progress. */
function progressOf(controller: Controller): string {
  const current = controller.currentEvent();
  const last = controller.eventHistory({ last: 1 })[0];
  const depths = controller.queueDepths();
  return JSON.stringify([current?.seqNum, current?.waitingFor, last?.seqNum, last?.handlers.length, depths.main, depths.followUp]);
}

function turn(polls: number): Promise<void> {
  // Quick turns first (most events settle within a few), then gentler polling.
  return new Promise((resolve) => (polls < 200 ? setImmediate(resolve) : setTimeout(resolve, 2)));
}

/**
 * Waits until the controller is settled: no event queued or being processed, the loop idle, no
 * healing resync queued and no timer due (due timers are run). Simulated time does not move: a
 * healing resync scheduled for later stays scheduled until `advance()` reaches it. Settled must
 * hold across one macrotask turn, so that promise chains still running get their turn.
 * `orStuck` (for moving time) also returns when a call has been running without any progress for
 * a while: it waits for the clock.
 */
export async function settle(controller: Controller, clock: TestClock, limitMs: number, options: { orStuck?: boolean } = {}): Promise<void> {
  const deadline = performance.now() + limitMs;
  let polls = 0;
  let quietTurns = 0;
  let stuck = { progress: '', turns: 0 };
  for (;;) {
    const reason = unsettledReason(controller, clock);
    if (reason === 'due') {
      clock.set(clock.now());
      quietTurns = 0;
      continue;
    }
    if (reason === undefined) {
      if (++quietTurns >= 2) return;
    } else {
      quietTurns = 0;
      if (options.orStuck) {
        const progress = progressOf(controller);
        stuck = progress === stuck.progress ? { progress, turns: stuck.turns + 1 } : { progress, turns: 0 };
        if (stuck.turns >= STUCK_TURNS) return;
      }
      if (performance.now() > deadline) {
        throw new SettleTimeoutError(
          `the controller did not settle within ${limitMs} ms of real time: ${reason} ` +
            `(simulated time is ${new Date(clock.now()).toISOString()}; a call waiting for a timer needs advance(ms))`,
        );
      }
    }
    await turn(polls++);
  }
}
