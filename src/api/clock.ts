/**
 * The controller's timers and time. XState's `SimulatedClock` fits, so tests can move time
 * (healing delays, deadlines, handler timeouts, history ages) without sleeping.
 */
export interface ControllerClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  /** Epoch milliseconds. */
  now(): number;
}

/** Node's timers and Date.now. */
export const systemClock: ControllerClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
  now: () => Date.now(),
};
