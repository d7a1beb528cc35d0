/**
 * Seeded pseudo-random numbers for the engine and the simulator.
 *
 * The engine never draws from the global random source; it is handed a {@linkcode Prng}, so a run replays
 * exactly from its seed. The generator is SplitMix32-style mixing over a 32-bit counter state:
 * fast, tiny, and good enough for peer selection (not for keys).
 *
 * @module
 */

/** A source of uniform numbers in [0, 1), with the same contract as the global random function. */
export type Prng = () => number;

/**
 * Returns a deterministic {@linkcode Prng} for `seed`.
 *
 * @example
 * ```ts
 * import { seededPrng } from "./prng.ts";
 * const a = seededPrng(7), b = seededPrng(7);
 * if (a() !== b()) throw new Error("same seed, same sequence");
 * ```
 */
export function seededPrng(seed: number): Prng {
  let state = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    z = (z ^ (z >>> 15)) >>> 0;
    return z / 4294967296;
  };
}

/** A whole number in [0, n). */
export function randomInt(rng: Prng, n: number): number {
  return Math.floor(rng() * n);
}

/**
 * Picks up to `count` distinct items of `items` at random, skipping those `exclude` rejects.
 * Partial Fisher-Yates over a copy; O(items) time.
 */
export function sample<T>(
  rng: Prng,
  items: readonly T[],
  count: number,
  exclude?: (item: T) => boolean,
): T[] {
  const pool = exclude ? items.filter((item) => !exclude(item)) : items.slice();
  const take = Math.min(count, pool.length);
  for (let i = 0; i < take; i++) {
    const j = i + randomInt(rng, pool.length - i);
    const tmp = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = tmp;
  }
  pool.length = take;
  return pool;
}
