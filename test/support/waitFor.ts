/**
 * Waits until `condition` holds, polling on timers; fails with `what` after a generous limit.
 * Tests assert on conditions, never on a sleep.
 */
export async function waitFor(condition: () => boolean, what: string, limitMs = 20000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A promise with its resolve/reject exposed, to hold a handler in place while a test looks. */
export interface Gate<T = void> {
  promise: Promise<T>;
  open(value: T): void;
  fail(error: Error): void;
}

export function gate<T = void>(): Gate<T> {
  let open!: (value: T) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}
