/**
 * Waits for a condition in tests that involve real sockets, processes and timers: re-checks
 * `check()` every few milliseconds and fails with `what` once `timeoutMs` has passed. A bounded
 * wait on the condition itself, never a fixed sleep standing in for it. The check may be async
 * (a scrape of a metrics endpoint, a file read); `what` may be a function, so the failure can
 * show the last thing the check saw.
 *
 * @module
 */

/** Resolves when `check()` holds; throws after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string | (() => string),
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) {
      const shown = typeof what === "string" ? what : what();
      throw new Error(`Timed out after ${timeoutMs} ms: ${shown}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
