/**
 * Draws load.svg from the open-loop benchmark: delivered fraction, p99 time to full delivery and
 * datagrams per message (over the N − 1 floor) against the offered rate, one line per cluster
 * size.
 *
 * @module
 */

import type { LoadFigures } from "./load_bench.ts";
import { chartGrid, lineChart } from "./svg_chart.ts";

/** Renders the three-panel open-loop chart. */
export function loadChart(figures: readonly LoadFigures[]): string {
  const name = (f: LoadFigures) => `${f.nodes} nodes`;
  const delivered = lineChart({
    title: "Reached every node within 2 s",
    xLabel: "offered msgs/s, all nodes (log)",
    yLabel: "% of messages",
    xLog: true,
    yMin: 0,
    yMax: 100,
    width: 400,
    height: 280,
    legend: "bottom-right",
    series: figures.map((f) => ({
      name: name(f),
      points: f.rates.map((r) => [r.offered_msgs_per_s, r.delivered_fraction * 100] as const),
    })),
  });
  const p99 = lineChart({
    title: "p99 time to full delivery",
    xLabel: "offered msgs/s, all nodes (log)",
    yLabel: "ms (2,000 = not delivered)",
    xLog: true,
    yMin: 0,
    width: 400,
    height: 280,
    legend: "top-left",
    series: figures.map((f) => ({
      name: name(f),
      points: f.rates.map((r) => [r.offered_msgs_per_s, r.p99_ms ?? 2000] as const),
    })),
  });
  const cost = lineChart({
    title: "Datagrams per message, all traffic",
    xLabel: "offered msgs/s, all nodes (log)",
    yLabel: "× (N − 1)",
    xLog: true,
    yMin: 0,
    width: 400,
    height: 280,
    legend: "top-left",
    series: [
      ...figures.map((f) => ({
        name: name(f),
        points: f.rates.map((r) =>
          [r.offered_msgs_per_s, r.datagrams_per_message_over_floor] as const
        ),
      })),
      {
        name: "target 1.3",
        color: "#c00",
        dashed: true,
        points: rateSpan(figures).map((x) => [x, 1.3] as const),
      },
    ],
  });
  return chartGrid([delivered, p99, cost], 3, "Open loop on loopback: every node publishing");
}

function rateSpan(figures: readonly LoadFigures[]): number[] {
  const rates = figures.flatMap((f) => f.rates.map((r) => r.offered_msgs_per_s));
  return rates.length ? [Math.min(...rates), Math.max(...rates)] : [];
}
