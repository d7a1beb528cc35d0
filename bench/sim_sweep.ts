/**
 * `deno task bench:sim`: sweeps cluster size × loss × broadcast mode in the deterministic
 * simulator and reports delivery, time to full delivery, payload copies and traffic per node.
 *
 * Writes bench/out/sim_sweep.{json,svg,md}; with `--docs` also docs/sim_sweep.{json,svg,md} for
 * the README. Then the open-loop many-publisher sweep (bench/sim_rates.ts): every node publishes
 * an equal share of a total offered rate, rates rising until delivery breaks; it writes
 * bench/out/sim_rates.{json,svg,md} (and docs/sim_rates.* with `--docs`). Runs go to a pool of Web Workers (`--jobs`,
 * default 2). The 10,000-node runs are scheduled cheapest first against a wall-clock budget
 * (`--budget` seconds, default 540) estimated from the 1,000-node runs; a run that would not fit
 * is skipped and listed as such, never silently dropped.
 *
 * `--redraw docs/sim_sweep.json` redraws the table and chart of a saved sweep without running it.
 *
 * Flags: --quick (N = 100, 1000) --nodes 100,1000,10000 --loss 0,10,30 --modes tree,pushpull,
 * push,pull --messages 5 --warmup 5 --limit 20000 (virtual ms) --seed 1 --jobs 2 --budget 540
 * --rates 25,50,100,200,400,800 (msgs/s in total) --rate-nodes 100,1000 --duration 3000
 * (virtual ms of publishing) --skip-modes --skip-rates --docs
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { BroadcastMode } from "../lib/options.ts";
import type { SimRunConfig, SimRunResult } from "./sim_run.ts";
import { sweepChart, sweepTable } from "./sim_sweep_report.ts";
import { rateChart, rateSweep, rateTable } from "./sim_rates.ts";

const MODES: BroadcastMode[] = ["tree", "pushpull", "push", "pull"];
const out = (text: string): void => {
  Deno.stdout.writeSync(new TextEncoder().encode(text + "\n"));
};

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    nodes: { type: "string" },
    loss: { type: "string", default: "0,10,30" },
    modes: { type: "string", default: MODES.join(",") },
    messages: { type: "string", default: "5" },
    warmup: { type: "string", default: "5" },
    limit: { type: "string", default: "20000" },
    seed: { type: "string", default: "1" },
    jobs: { type: "string", default: "2" },
    budget: { type: "string", default: "540" },
    redraw: { type: "string" },
    rates: { type: "string", default: "25,50,100,200,400,800" },
    "rate-nodes": { type: "string" },
    duration: { type: "string", default: "3000" },
    "skip-modes": { type: "boolean" },
    "skip-rates": { type: "boolean" },
    docs: { type: "boolean" },
  },
});

if (values.redraw) {
  // Redraw the table and chart of an earlier sweep next to its JSON, without rerunning it.
  const saved = JSON.parse(await Deno.readTextFile(values.redraw));
  const s = saved.settings ?? {};
  const base = values.redraw.replace(/\.json$/, "");
  await Deno.writeTextFile(`${base}.md`, sweepTable(saved.runs) + "\n");
  await Deno.writeTextFile(
    `${base}.svg`,
    sweepChart(saved.runs, `${s.messages} msgs after ${s.warmup} warm-up, seed ${s.seed}`),
  );
  out(`redrew ${base}.md and ${base}.svg`);
  Deno.exit(0);
}
const list = (text: string): number[] => text.split(",").map(Number).filter(Number.isFinite);
const nodeSizes = list(values.nodes ?? (values.quick ? "100,1000" : "100,1000,10000"));
const losses = list(values.loss).map((l) => (l > 1 ? l / 100 : l));
const modes = values.modes.split(",").filter((m): m is BroadcastMode =>
  MODES.includes(m as BroadcastMode)
);
const jobs = Math.max(1, Number(values.jobs));
const budgetMs = Number(values.budget) > 0 ? Number(values.budget) * 1000 : Infinity;
const writeDocs = values.docs === true;

const configs: SimRunConfig[] = [];
for (const nodes of values["skip-modes"] ? [] : nodeSizes) {
  for (const loss of losses) {
    for (const mode of modes) {
      configs.push({
        nodes,
        mode,
        loss,
        seed: Number(values.seed),
        warmupMessages: Number(values.warmup),
        messages: Number(values.messages),
        limitMs: Number(values.limit),
      });
    }
  }
}

type Outcome = SimRunResult | { skipped: string; config: SimRunConfig };
const key = (c: { nodes: number; mode: string; loss: number }) => `${c.nodes}/${c.mode}/${c.loss}`;
const results = new Map<string, Outcome>();
const started = performance.now();
let done = 0;

function estimateMs(config: SimRunConfig): number | undefined {
  const smaller = nodeSizes.filter((n) => n < config.nodes).at(-1);
  if (smaller === undefined) return undefined;
  const prior = results.get(key({ ...config, nodes: smaller }));
  if (!prior || "skipped" in prior) return undefined;
  // Wall time grows faster than N (measured: 1,000 → 10,000 nodes costs 25-35×; caches, longer
  // dissemination), so scale by (N ratio)^1.5.
  return (prior.wall_warmup_ms + prior.wall_measure_ms) * (config.nodes / smaller) ** 1.5;
}

function describe(r: Outcome): string {
  if ("skipped" in r) return `skipped (${r.skipped})`;
  const full = r.median_ms_to_full === null
    ? "not full"
    : `median to full ${r.median_ms_to_full} ms`;
  return `delivered ${(r.delivered_fraction * 100).toFixed(2)}%, ${full}, copies ` +
    `${r.payload_copies_per_node}, ${r.datagrams_per_node_per_msg} datagrams/node/msg, wall ` +
    `${((r.wall_warmup_ms + r.wall_measure_ms) / 1000).toFixed(1)} s`;
}

function record(config: SimRunConfig, outcome: Outcome): void {
  results.set(key(config), outcome);
  done++;
  out(
    `[${done}/${configs.length}] N=${config.nodes} loss=${config.loss * 100}% ` +
      `${config.mode}: ${describe(outcome)}`,
  );
}

async function pool(batch: SimRunConfig[], ordered: boolean): Promise<void> {
  const queue = [...batch];
  const workers = Array.from(
    { length: Math.min(jobs, queue.length) },
    () => new Worker(new URL("./sim_worker.ts", import.meta.url).href, { type: "module" }),
  );
  await Promise.all(workers.map(async (worker) => {
    while (queue.length > 0) {
      if (!ordered) queue.sort((a, b) => (estimateMs(a) ?? 0) - (estimateMs(b) ?? 0));
      const config = queue.shift()!;
      const estimate = estimateMs(config);
      const left = budgetMs - (performance.now() - started);
      if (estimate !== undefined && estimate > left) {
        record(config, {
          skipped: `estimated ${(estimate / 1000).toFixed(0)} s > ${
            (Math.max(0, left) / 1000).toFixed(0)
          } s of budget left`,
          config,
        });
        continue;
      }
      const reply = await new Promise<{ ok: boolean; result?: SimRunResult; error?: string }>(
        (resolve) => {
          worker.onmessage = (event) => resolve(event.data);
          worker.postMessage(config);
        },
      );
      if (reply.ok) record(config, reply.result!);
      else record(config, { skipped: `error: ${reply.error?.split("\n")[0]}`, config });
    }
    worker.terminate();
  }));
}

for (const nodes of values["skip-modes"] ? [] : nodeSizes) {
  await pool(configs.filter((c) => c.nodes === nodes), nodes === nodeSizes[0]);
}
const rows = configs.map((c) => results.get(key(c))!);
const measured = rows.filter((r): r is SimRunResult => !("skipped" in r));
const written: string[] = [];
await Deno.mkdir("bench/out", { recursive: true });
if (rows.length > 0) {
  const table = sweepTable(rows);
  out("\n" + table + "\n");
  const svg = sweepChart(
    rows,
    `${values.messages} msgs after ${values.warmup} warm-up, seed ${values.seed}`,
  );
  const json = JSON.stringify(
    {
      generated: new Date().toISOString(),
      deno: Deno.version.deno,
      wall_s: Math.round((performance.now() - started) / 100) / 10,
      settings: { ...values, jobs, budget_s: budgetMs / 1000 },
      runs: rows,
    },
    null,
    2,
  ) + "\n";
  await Deno.writeTextFile("bench/out/sim_sweep.svg", svg);
  await Deno.writeTextFile("bench/out/sim_sweep.json", json);
  await Deno.writeTextFile("bench/out/sim_sweep.md", table + "\n");
  written.push("bench/out/sim_sweep.{svg,json,md}");
  if (writeDocs) {
    await Deno.writeTextFile("docs/sim_sweep.svg", svg);
    await Deno.writeTextFile("docs/sim_sweep.json", json);
    await Deno.writeTextFile("docs/sim_sweep.md", table + "\n");
    written.push("docs/sim_sweep.{svg,json,md}");
  }
}

let rateRuns = 0;
if (!values["skip-rates"]) {
  const rateStarted = performance.now();
  const rateNodes = list(values["rate-nodes"] ?? (values.quick ? "100" : "100,1000"));
  const durationMs = Number(values.duration);
  const rateRows = rateSweep({
    nodes: rateNodes,
    rates: list(values.rates),
    durationMs,
    seed: Number(values.seed),
    breakBelow: 0.5,
  }, out);
  rateRuns = rateRows.length;
  const table = rateTable(rateRows);
  out("\n" + table + "\n");
  const svg = rateChart(rateRows, `${durationMs / 1000} s of publishing, seed ${values.seed}`);
  const json = JSON.stringify(
    {
      generated: new Date().toISOString(),
      deno: Deno.version.deno,
      wall_s: Math.round((performance.now() - rateStarted) / 100) / 10,
      settings: {
        nodes: rateNodes,
        rates: values.rates,
        duration_ms: durationMs,
        seed: values.seed,
      },
      runs: rateRows,
    },
    null,
    2,
  ) + "\n";
  await Deno.writeTextFile("bench/out/sim_rates.svg", svg);
  await Deno.writeTextFile("bench/out/sim_rates.json", json);
  await Deno.writeTextFile("bench/out/sim_rates.md", table + "\n");
  written.push("bench/out/sim_rates.{svg,json,md}");
  if (writeDocs) {
    await Deno.writeTextFile("docs/sim_rates.svg", svg);
    await Deno.writeTextFile("docs/sim_rates.json", json);
    await Deno.writeTextFile("docs/sim_rates.md", table + "\n");
    written.push("docs/sim_rates.{svg,json,md}");
  }
}
const wallS = Math.round((performance.now() - started) / 100) / 10;
out(`sweep done in ${wallS} s; wrote ${written.join(", ")}`);
out(JSON.stringify({
  bench: "sim_sweep",
  wall_s: wallS,
  runs: measured.length,
  skipped: rows.length - measured.length,
  rate_runs: rateRuns,
}));
