/**
 * Draws docs/perf.svg from the figures of `deno task bench`: time to full delivery against
 * cluster size, throughput against the raw UDP ceiling, heap under a flood, codec costs.
 *
 * @module
 */

import type { ClusterFigures } from "./cluster_bench.ts";
import type { CodecFigures } from "./codec_bench.ts";
import type { MemoryFigures } from "./memory_bench.ts";
import { barChart, chartGrid, lineChart } from "./svg_chart.ts";

/** What the chart needs from the benchmark report. */
export interface PerfReport {
  codec: CodecFigures;
  clusters: ClusterFigures[];
  memory: MemoryFigures;
  load_average: number[];
}

/** An axis top with room above the tallest bar for the legend. */
function headroom(values: number[]): number {
  const top = Math.max(1, ...values) * 1.45;
  const magnitude = 10 ** Math.floor(Math.log10(top));
  return Math.ceil(top / magnitude) * magnitude;
}

/** Renders the four-panel performance chart. */
export function perfChart(report: PerfReport): string {
  const c = report.clusters;
  const mode = c[0]?.mode ?? "tree";
  const latency = lineChart({
    title: `Loopback time to full delivery (${mode})`,
    xLabel: "nodes (one process, 127.0.0.1)",
    yLabel: "ms, publish → last node",
    width: 440,
    height: 280,
    yMin: 0,
    legend: "top-left",
    series: [
      { name: "median", points: c.map((x) => [x.nodes, x.median_ms] as const) },
      { name: "p99", points: c.map((x) => [x.nodes, x.p99_ms] as const) },
      {
        name: "target median < 10 ms",
        color: "#c00",
        dashed: true,
        points: c.length ? [[c[0]!.nodes, 10], [c[c.length - 1]!.nodes, 10]] : [],
      },
    ],
  });
  const throughput = barChart({
    title: "Throughput vs raw UDP ceiling (same run)",
    yLabel: "datagrams / s",
    width: 440,
    height: 280,
    yMax: headroom(c.map((x) => x.ceiling_datagrams_per_s)),
    groups: c.map((x) => `N=${x.nodes} (${Math.round(x.ratio_of_ceiling * 100)}%)`),
    series: [
      { name: "raw UDP ceiling", values: c.map((x) => x.ceiling_datagrams_per_s) },
      { name: "required (msgs/s × (N−1))", values: c.map((x) => x.required_datagrams_per_s) },
      { name: "on the wire", values: c.map((x) => x.wire_datagrams_per_s) },
    ],
  });
  const flood = report.memory.flood;
  const memory = lineChart({
    title: "Heap of one engine under a flood of valid frames",
    xLabel: "frames received, × seenCapacity (100k)",
    yLabel: "heap growth, MB",
    width: 440,
    height: 280,
    yMin: 0,
    xMin: 0,
    series: Object.entries(flood).map(([shape, points]) => ({
      name: shape.replace("_", " "),
      points: points.map((p) => [parseFloat(p.at), Math.max(0, p.heap_mb)] as const),
    })),
  });
  const kinds = ["data_64", "data_256", "data_1024", "digest_40", "ihave_40"];
  const codec = barChart({
    title: "Codec cost per datagram",
    yLabel: "ns",
    width: 440,
    height: 280,
    yMax: headroom(kinds.flatMap((k) => [report.codec.encode_ns[k] ?? 0])),
    groups: kinds.map((k) => k.replace("_", " ")),
    series: [
      { name: "encodeFrames", values: kinds.map((k) => report.codec.encode_ns[k] ?? null) },
      { name: "decodeDatagram", values: kinds.map((k) => report.codec.decode_ns[k] ?? null) },
    ],
  });
  const load = report.load_average.map((x) => x.toFixed(1)).join(" ");
  return chartGrid(
    [latency, throughput, memory, codec],
    2,
    `starling performance on loopback${load ? ` (load average ${load} at the end)` : ""}`,
  );
}
