/**
 * The markdown table and the SVG chart of a simulator sweep, drawn from its rows (fresh from a
 * run, or read back from sim_sweep.json with `deno task bench:sim --redraw <file>`).
 *
 * @module
 */

import type { BroadcastMode } from "../lib/options.ts";
import { markdownTable } from "./bench_stats.ts";
import type { SimRunConfig, SimRunResult } from "./sim_run.ts";
import { barChart, chartGrid, lineChart, PALETTE } from "./svg_chart.ts";

/** A run's figures, or why it was not run. */
export type SweepRow = SimRunResult | { skipped: string; config: SimRunConfig };

function settingsOf(row: SweepRow): { nodes: number; loss: number; mode: BroadcastMode } {
  return "skipped" in row ? row.config : row;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** The sweep as a markdown table, one row per run. */
export function sweepTable(rows: readonly SweepRow[]): string {
  return markdownTable(
    [
      "N",
      "loss",
      "mode",
      "delivered",
      "median ms to full",
      "max ms to full",
      "p99 delivery ms",
      "copies/node",
      "max hops",
      "datagrams/node/msg",
      "bytes/node/msg",
    ],
    rows.map((r) => {
      const c = settingsOf(r);
      const head = [c.nodes, `${Math.round(c.loss * 100)}%`, c.mode];
      if ("skipped" in r) {
        const why = r.skipped.startsWith("estimated") ? "skipped (time budget)" : "error";
        return [...head, why, null, null, null, null, null, null, null];
      }
      return [
        ...head,
        `${(r.delivered_fraction * 100).toFixed(2)}%`,
        r.median_ms_to_full,
        r.max_ms_to_full,
        r.p99_delivery_ms,
        r.payload_copies_per_node,
        r.max_hops,
        r.datagrams_per_node_per_msg,
        r.bytes_per_node_per_msg,
      ];
    }),
  );
}

/** Delivery curves per (N, loss) panel, one line per mode, then copies per node per N. */
export function sweepChart(rows: readonly SweepRow[], subtitle: string): string {
  const nodeSizes = unique(rows.map((r) => settingsOf(r).nodes)).sort((a, b) => a - b);
  const losses = unique(rows.map((r) => settingsOf(r).loss)).sort((a, b) => a - b);
  const modes = unique(rows.map((r) => settingsOf(r).mode));
  const find = (nodes: number, mode: string, loss: number): SimRunResult | undefined => {
    const row = rows.find((r) => {
      const c = settingsOf(r);
      return c.nodes === nodes && c.mode === mode && c.loss === loss;
    });
    return row && !("skipped" in row) ? row : undefined;
  };
  const measured = rows.filter((r): r is SimRunResult => !("skipped" in r));
  const xMax = Math.max(100, ...measured.map((r) => r.curve.at(-1)?.[0] ?? 0));
  const panels: string[] = [];
  for (const nodes of nodeSizes) {
    for (const loss of losses) {
      panels.push(lineChart({
        title: `N = ${nodes.toLocaleString("en")}, loss ${Math.round(loss * 100)}%`,
        xLabel: "virtual ms since publish (log)",
        yLabel: "fraction delivered",
        width: 380,
        height: 250,
        xLog: true,
        legend: "bottom-right",
        xMin: 1,
        xMax,
        yMin: 0,
        yMax: 1,
        series: modes.map((mode, i) => {
          const r = find(nodes, mode, loss);
          return {
            name: r ? mode : `${mode} (skipped)`,
            color: PALETTE[i]!,
            points: r ? r.curve.map(([t, f]) => [Math.max(1, t), f] as const) : [],
          };
        }),
      }));
    }
  }
  const copies = measured.map((r) => r.payload_copies_per_node);
  for (const nodes of nodeSizes) {
    panels.push(barChart({
      title: `Payload copies per node, N = ${nodes.toLocaleString("en")}`,
      yLabel: "copies / node / msg",
      width: 380,
      height: 250,
      yMax: Math.ceil(Math.max(1, ...copies) * 1.5),
      groups: losses.map((l) => `loss ${Math.round(l * 100)}%`),
      series: modes.map((mode, i) => ({
        name: mode,
        color: PALETTE[i]!,
        values: losses.map((loss) => find(nodes, mode, loss)?.payload_copies_per_node ?? null),
      })),
    }));
  }
  return chartGrid(panels, losses.length, `Simulator: delivery over time by mode (${subtitle})`);
}
