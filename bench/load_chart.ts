/**
 * Draws load.svg from the open-loop benchmark: delivered fraction, p99 time to full delivery and
 * datagrams per message (over the N − 1 floor) against the offered rate, one line per cluster
 * size.
 *
 * @module
 */

import { chartGrid, lineChart } from "./svg_chart.ts";

/** Figures of one offered rate. */
export interface RateFigures {
  /** Messages per second offered by all nodes together. */
  offered_msgs_per_s: number;
  /** Messages actually published (the scheduler's catch-up keeps this at rate × seconds). */
  published: number;
  /** Fraction of messages that reached every other node within 2 s. */
  delivered_fraction: number;
  /** Time to full delivery; null when that percentile is a message that never got there. */
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  /** Datagrams sent by all nodes per message, all traffic (floor N − 1). */
  datagrams_per_message: number;
  /** datagrams_per_message / (N − 1). */
  datagrams_per_message_over_floor: number;
  /** Data frames received per node per message (floor 1). */
  payload_copies_per_node: number;
  /** Bytes sent by all nodes per message. */
  bytes_per_message: number;
  /** Frames received by all nodes per message, by frame type. */
  frames_per_message: Record<string, number>;
  /** Received datagrams per second, all nodes, publishing window and drain. */
  datagrams_in_per_s: number;
  /** CPU time of this process over wall time, window and drain (1 = one core busy). */
  cpu_cores: number;
  /** CPU time per datagram received by any node: the node side's cost per datagram. */
  cpu_us_per_datagram: number;
  /** How late the publishing scheduler ran at worst (event-loop saturation), ms. */
  scheduler_lag_max_ms: number;
  /** The machine's 1-minute load average at the end of the window (null without --allow-sys). */
  load_average: number | null;
  /** Receive-queue drops and engine drops during the window. */
  drops: Record<string, number>;
}

/** Figures of one cluster size. */
export interface LoadFigures {
  nodes: number;
  preset: string;
  payload_bytes: number;
  seconds_per_rate: number;
  /** Raw UDP received datagrams/s, N/2 flow-controlled socket pairs, same run. */
  ceiling_datagrams_per_s: number;
  rates: RateFigures[];
}

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
