/**
 * `deno task bench`: every performance benchmark in one run — codec, seen set and message cache,
 * raw UDP ceiling, loopback cluster (latency, throughput against the ceiling of the same run, wire
 * cost), memory, the open-loop many-publisher sweep — then bench/out/perf.{svg,json} and bench/out/load.{svg,json}.
 * Tracked files under docs/ are rewritten only when asked, with `--docs`.
 *
 * Flags: --nodes 8,32,64 (cluster sizes), --mode tree, --load 32,100 (open-loop cluster sizes;
 * "" skips it), --load-seconds 5, --docs (also write docs/perf.* and docs/load.*).
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { BroadcastMode } from "../lib/options.ts";
import { runClusterBench } from "./cluster_bench.ts";
import { runBoundedTablesBench } from "./bounded_tables_bench.ts";
import { runCodecBench } from "./codec_bench.ts";
import { finish, say } from "./harness.ts";
import { runLoadBench, writeLoadReport } from "./load_bench.ts";
import { runMemoryBench } from "./memory_bench.ts";
import { runUdpCeiling } from "./udp_ceiling.ts";
import { perfChart } from "./perf_chart.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "8,32,64" },
    mode: { type: "string", default: "tree" },
    load: { type: "string", default: "32,100" },
    "load-seconds": { type: "string", default: "5" },
    docs: { type: "boolean" },
  },
});
function loadAverage(): number[] {
  try {
    return Deno.loadavg();
  } catch {
    return []; // needs --allow-sys=loadavg; optional
  }
}

const started = performance.now();
const codec = await runCodecBench();
say();
const tables = runBoundedTablesBench();
say();
const ceiling = await runUdpCeiling();
say();
const clusters = await runClusterBench(
  values.nodes.split(",").map(Number).filter((n) => n >= 2),
  values.mode as BroadcastMode,
);
say();
const memory = runMemoryBench();
say();
const loadSizes = values.load.split(",").map(Number).filter((n) => n >= 2);
const load = loadSizes.length
  ? await runLoadBench(loadSizes, undefined, Number(values["load-seconds"]))
  : [];
if (load.length) await writeLoadReport(load, values.docs === true);
const report = {
  generated: new Date().toISOString(),
  deno: Deno.version.deno,
  v8: Deno.version.v8,
  cpus: navigator.hardwareConcurrency,
  load_average: loadAverage(),
  wall_s: Math.round((performance.now() - started) / 1000),
  codec,
  bounded_tables: tables,
  udp_ceiling: ceiling,
  clusters,
  memory,
};
const svg = perfChart(report);
await Deno.mkdir("bench/out", { recursive: true });
await Deno.writeTextFile("bench/out/perf.svg", svg);
await Deno.writeTextFile("bench/out/perf.json", JSON.stringify(report, null, 2) + "\n");
if (values.docs) {
  await Deno.writeTextFile("docs/perf.svg", svg);
  await Deno.writeTextFile("docs/perf.json", JSON.stringify(report, null, 2) + "\n");
}
say();
say(`wrote bench/out/perf.{svg,json}${values.docs ? " and docs/perf.{svg,json}" : ""}`);
await finish("all", {
  wall_s: report.wall_s,
  data_overhead_plain: codec.data_overhead_plain,
  data_overhead_sealed: codec.data_overhead_sealed,
  clusters: clusters.map((c) => ({
    nodes: c.nodes,
    median_ms: c.median_ms,
    p99_ms: c.p99_ms,
    msgs_per_s: c.throughput_msgs_per_s,
    ratio_of_ceiling: c.ratio_of_ceiling,
  })),
  heap_per_full_engine_mb: memory.heap_per_full_engine_mb,
  load: load.map((f) => ({
    nodes: f.nodes,
    rates: f.rates.map((r) => ({
      rate: r.offered_msgs_per_s,
      delivered: r.delivered_fraction,
      p99_ms: r.p99_ms,
      over_floor: r.datagrams_per_message_over_floor,
    })),
  })),
});
