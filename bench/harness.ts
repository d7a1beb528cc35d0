/**
 * Shared plumbing of the performance benchmarks: a calibrated timing loop, a sink that keeps
 * results alive (so the JIT cannot drop the measured work), printing and result files.
 *
 * @module
 */

/** Result of {@linkcode measure}. */
export interface Timing {
  /** Nanoseconds per call (best of the rounds, which is the least disturbed by other load). */
  ns: number;
  /** Median over rounds of ns per call. */
  nsMedian: number;
  /** Calls timed in total. */
  calls: number;
}

let sink = 0;

/** Feeds a value to a sink the JIT cannot see through. */
export function consume(value: unknown): void {
  if (value === sink) sink++;
  else sink = (sink + 1) | 0;
}

/**
 * Times `fn`: warms it up, calibrates a batch that takes about 20 ms, then runs `rounds`
 * batches. Reports the best and the median ns per call.
 */
export function measure(fn: () => unknown, rounds = 9): Timing {
  for (let i = 0; i < 2000; i++) consume(fn());
  let batch = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) consume(fn());
    const took = performance.now() - t;
    if (took >= 20 || batch >= 1 << 24) break;
    batch = took < 1 ? batch * 8 : Math.ceil(batch * 20 / took);
  }
  const perCall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) consume(fn());
    perCall.push((performance.now() - t) * 1e6 / batch);
  }
  perCall.sort((a, b) => a - b);
  return {
    ns: Math.round(perCall[0]!),
    nsMedian: Math.round(perCall[Math.floor(rounds / 2)]!),
    calls: batch * rounds,
  };
}

/** Times an async `fn` (one call at a time); same shape as {@linkcode measure}. */
export async function measureAsync(
  fn: () => Promise<unknown>,
  calls = 2000,
  rounds = 5,
): Promise<Timing> {
  for (let i = 0; i < Math.min(200, calls); i++) consume(await fn());
  const perCall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < calls; i++) consume(await fn());
    perCall.push((performance.now() - t) * 1e6 / calls);
  }
  perCall.sort((a, b) => a - b);
  return {
    ns: Math.round(perCall[0]!),
    nsMedian: Math.round(perCall[Math.floor(rounds / 2)]!),
    calls: calls * rounds,
  };
}

const encoder = new TextEncoder();

/** Prints one line to stdout. */
export function say(text = ""): void {
  Deno.stdout.writeSync(encoder.encode(text + "\n"));
}

/** Prints the final machine-readable line of a part and saves it to bench/out/<name>.json. */
export async function finish(name: string, figures: Record<string, unknown>): Promise<void> {
  const line = JSON.stringify({ bench: name, ...figures });
  say(line);
  try {
    await Deno.mkdir("bench/out", { recursive: true });
    await Deno.writeTextFile(`bench/out/${name}.json`, line + "\n");
  } catch {
    // Without --allow-write the figures are still on stdout.
  }
}

/** Resolves after `ms` (benchmarks pace themselves; never used as synchronisation). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
