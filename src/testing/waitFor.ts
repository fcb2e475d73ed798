import { WaitTimeoutError } from './errors';

export interface WaitForOptions {
  /** Real milliseconds before giving up (default 20,000: generous, a limit and not an expectation). */
  timeoutMs?: number;
  /** Real milliseconds between two checks (default 5). */
  intervalMs?: number;
}

/**
 * Polls `check` on real timers until it returns something other than `undefined`, `null` or
 * `false`, and resolves with that value; after the limit, rejects with `WaitTimeoutError`
 * naming `what`. A check that throws counts as not yet (the last error becomes the `cause`).
 * Tests wait for conditions, never for a sleep.
 *
 * ```ts
 * const record = await waitFor(() => controller.eventHistory().find((r) => r.name === 'Database Resync'), 'the startup resync');
 * ```
 */
export async function waitFor<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  options: WaitForOptions | number = {},
): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 5 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`, lastError === undefined ? undefined : { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
