/**
 * The one `percentile` and `median` of starling, shared by the simulator's figures, the
 * benchmarks and the container rig, so a "median" means the same thing in every report.
 *
 * Nearest rank: the p-th percentile is the smallest value with at least p% of the values at or
 * below it, always one of the values (never an average of two). The median is the lower middle
 * value of an even-sized list.
 *
 * @module
 */

/**
 * The `p`-th percentile (0..100) of `values` by nearest rank; NaN for an empty list.
 *
 * @example
 * ```ts
 * import { percentile } from "./percentile.ts";
 * if (percentile([5, 1, 4, 2, 3], 80) !== 4) throw new Error("4 is the 80th percentile");
 * ```
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/**
 * The median: the 50th percentile by nearest rank (the lower middle value of an even-sized list);
 * NaN for an empty list.
 *
 * @example
 * ```ts
 * import { median } from "./percentile.ts";
 * if (median([4, 1, 3, 2]) !== 2) throw new Error("the lower middle value");
 * ```
 */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
