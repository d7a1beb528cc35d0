/**
 * Small pure statistics helpers shared by the benchmarks: delivery curves, rounding and
 * fixed-width markdown tables.
 *
 * @module
 */

/** The shared percentile and median (lib/sim/percentile.ts), here for the benchmarks. */
export { median, percentile } from "../lib/sim/percentile.ts";

/** Arithmetic mean; NaN for an empty list. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let total = 0;
  for (const v of values) total += v;
  return total / values.length;
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * The delivery curve of several messages: for each point `[t, f]`, `f` is the fraction of all
 * (message, node) pairs delivered within `t` ms of publication. `delays` holds, per message, the
 * delay of every node that got it; `expected` is the number of nodes that should have got each
 * message. The curve is a step function sampled at up to `maxPoints` delay values (always
 * including the last), starting at `[0, f(0)]`.
 */
export function deliveryCurve(
  delays: readonly (readonly number[])[],
  expected: number,
  maxPoints = 120,
): [number, number][] {
  const all = delays.flat().sort((a, b) => a - b);
  const total = expected * delays.length;
  if (total === 0 || all.length === 0) return [[0, 0]];
  const points: [number, number][] = [];
  let zero = 0;
  while (zero < all.length && all[zero]! <= 0) zero++;
  points.push([0, zero / total]);
  const stride = Math.max(1, Math.floor(all.length / maxPoints));
  for (let i = zero; i < all.length; i += stride) {
    let j = i;
    while (j + 1 < all.length && all[j + 1] === all[i]) j++;
    points.push([all[j]!, (j + 1) / total]);
  }
  const last = all[all.length - 1]!;
  if (points[points.length - 1]![0] !== last) points.push([last, all.length / total]);
  return points;
}

/** A markdown table with right-aligned numbers and padded columns. */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
): string {
  const cells = rows.map((row) => row.map((c) => (c === null ? "—" : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: readonly string[]) =>
    "| " + r.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [
    line(headers),
    "| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |",
    ...cells.map(line),
  ].join("\n");
}
