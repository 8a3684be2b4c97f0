/**
 * Polling helper for tests that wait on something asynchronous happening elsewhere (a bot replying,
 * a gateway session coming up, a request reaching a fake server).
 */

export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Poll period (default 20 ms). */
  intervalMs?: number;
  /** Shown in the timeout error, e.g. 'Peter to reply'. */
  what?: string;
}

/** The value of a successful probe: anything but false, null, undefined, 0 or ''. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/**
 * Calls `probe` until it returns a truthy value and resolves with that value. A probe that throws is
 * treated like a falsy answer (so `expect(...)` can be used inside it); the last error is reported if
 * the wait times out.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 20, what = 'condition' }: WaitForOptions = {},
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as Truthy<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
