/**
 * The processing steps of one event, as a generator: each `yield` hands over the result of a
 * call, a plain value or a promise, and receives its value back. `runSteps` feeds plain values
 * straight back (no promise, no microtask), and only after a promise does it continue
 * asynchronously. This is `async`/`await` that costs nothing while every call answers at once:
 * on Node 20 each promise pays AsyncLocalStorage's hooks, and most handlers are synchronous.
 */
export type Steps = Generator<unknown, void, unknown>;

/** Runs `steps` to the end; returns a promise only if one of them had to be awaited. */
export function runSteps(steps: Steps): void | Promise<void> {
  return resume(steps, undefined, false);
}

function resume(steps: Steps, input: unknown, isError: boolean): void | Promise<void> {
  let result = isError ? steps.throw(input) : steps.next(input);
  for (;;) {
    if (result.done) return undefined;
    const value = result.value;
    if (value instanceof Promise) {
      return value.then(
        (resolved: unknown) => resume(steps, resolved, false),
        (error: unknown) => resume(steps, error, true),
      );
    }
    result = steps.next(value);
  }
}
