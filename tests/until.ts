/**
 * Waits for a condition in tests that involve real sockets and timers: re-checks `check()` every
 * few milliseconds and fails with `what` once `timeoutMs` has passed. A bounded wait on the
 * condition itself, never a fixed sleep standing in for it.
 *
 * @module
 */

/** Resolves when `check()` holds; throws after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
