/**
 * The open-loop many-publisher sweep of `deno task bench:sim`: for each cluster size and each
 * total offered rate, every live node publishes an equal share for a few virtual seconds
 * (lib/sim/open_loop.ts); reports delivered fraction, p50/p99 time to full delivery, payload
 * copies and datagrams of every kind per message, as a table and a chart.
 *
 * @module
 */

import { type OpenLoopResult, runOpenLoop } from "../lib/sim/open_loop.ts";
import { markdownTable } from "./bench_stats.ts";
import { chartGrid, lineChart, PALETTE } from "./svg_chart.ts";

/** What to sweep. */
export interface RateSweepConfig {
  nodes: readonly number[];
  /** Total offered rates, messages per virtual second. */
  rates: readonly number[];
  durationMs: number;
  seed: number;
  /** Stop raising the rate for a size once fewer than this fraction of messages got full. */
  breakBelow: number;
}

/** One measured point, with its wall time. */
export type RateRow = OpenLoopResult & { wall_ms: number };

/**
 * Runs the sweep, lowest rate first per size, and stops a size one step after it breaks (so
 * the chart shows where it falls over without spending minutes on hopeless rates).
 */
export function rateSweep(config: RateSweepConfig, log: (line: string) => void): RateRow[] {
  const rows: RateRow[] = [];
  for (const nodes of config.nodes) {
    for (const rate of config.rates) {
      const started = performance.now();
      const result = runOpenLoop({ nodes, rate, durationMs: config.durationMs, seed: config.seed });
      const row = { ...result, wall_ms: Math.round(performance.now() - started) };
      rows.push(row);
      log(
        `open loop N=${nodes} rate=${rate}/s: ${row.messages} msgs, full ${
          (row.full_fraction * 100).toFixed(1)
        }%, p50 ${row.p50_ms_to_full ?? "—"} ms, p99 ${row.p99_ms_to_full ?? "—"} ms, ` +
          `${row.payload_copies_per_node} copies/node, ${row.datagrams_per_message_per_node} ` +
          `datagrams/msg/node, wall ${(row.wall_ms / 1000).toFixed(1)} s`,
      );
      if (row.full_fraction < config.breakBelow) break;
    }
  }
  return rows;
}

/** The sweep as a markdown table. */
export function rateTable(rows: readonly RateRow[]): string {
  return markdownTable(
    [
      "N",
      "offered msgs/s",
      "messages",
      "delivered",
      "full within 2 s",
      "p50 ms to full",
      "p99 ms to full",
      "copies/node",
      "datagrams/msg",
      "datagrams/msg/(N−1)",
    ],
    rows.map((r) => [
      r.nodes,
      r.rate,
      r.messages,
      `${(r.delivered_fraction * 100).toFixed(1)}%`,
      `${(r.full_fraction * 100).toFixed(1)}%`,
      r.p50_ms_to_full,
      r.p99_ms_to_full,
      r.payload_copies_per_node,
      r.datagrams_per_message,
      r.datagrams_per_message_per_node,
    ]),
  );
}

/** Time to full delivery and traffic per message against the offered rate, a line per size. */
export function rateChart(rows: readonly RateRow[], subtitle: string): string {
  const sizes = [...new Set(rows.map((r) => r.nodes))].sort((a, b) => a - b);
  const series = (pick: (r: RateRow) => number | null, dashed = false) =>
    sizes.map((nodes, i) => ({
      name: `N = ${nodes.toLocaleString("en")}`,
      color: PALETTE[i]!,
      dashed,
      points: rows.filter((r) => r.nodes === nodes && pick(r) !== null)
        .map((r) => [r.rate, pick(r)!] as const),
    }));
  const panels = [
    lineChart({
      title: "p99 time to full delivery",
      xLabel: "offered msgs/s in total (log)",
      yLabel: "virtual ms",
      xLog: true,
      legend: "top-left",
      series: series((r) => r.p99_ms_to_full),
    }),
    lineChart({
      title: "Messages that reached every node within 2 s",
      xLabel: "offered msgs/s in total (log)",
      yLabel: "fraction",
      xLog: true,
      yMin: 0,
      yMax: 1,
      legend: "bottom-right",
      series: series((r) => r.full_fraction),
    }),
    lineChart({
      title: "Datagrams (all kinds) per message per node",
      xLabel: "offered msgs/s in total (log)",
      yLabel: "datagrams / msg / (N − 1)",
      xLog: true,
      yMin: 0,
      legend: "top-left",
      series: series((r) => r.datagrams_per_message_per_node),
    }),
  ];
  return chartGrid(panels, 3, `Simulator, open loop: every node publishes (${subtitle})`);
}
