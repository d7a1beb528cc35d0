/**
 * Membership benchmark at 1,000 simulated nodes: overlay connectivity and in-degree after a
 * join through one seed, recovery after killing half the nodes, healing after a 50/50
 * partition, and idle control traffic. Prints figures, then one JSON line.
 *
 * Run: deno run bench/membership.ts [--nodes 1000] [--seed 1]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { seededPrng } from "../lib/core/prng.ts";
import { connectedComponents, inDegrees } from "../lib/sim/components.ts";
import { DEFAULT_OPTIONS } from "../lib/options.ts";
import { Simulation } from "../lib/sim/simulation.ts";
import { overlayComponents, overlayOf } from "../lib/sim/overlay.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { nodes: { type: "string" }, seed: { type: "string" } },
});
const NODES = Number(values.nodes ?? 1000);
const SEED = Number(values.seed ?? 1);
const PERIOD = DEFAULT_OPTIONS.shuffleIntervalMs;
const STEP = 100;

/** Runs in steps until the live overlay is one component; returns ms taken or null. */
function untilConnected(sim: Simulation, limitMs: number): number | null {
  const start = sim.now;
  while (sim.now - start <= limitMs) {
    if (overlayComponents(sim) === 1) return sim.now - start;
    sim.run(sim.now + STEP);
  }
  return null;
}

function deliveredFraction(sim: Simulation, limitMs: number): number {
  const live = sim.liveNodes();
  const publisher = live[Math.floor(live.length / 3)]!;
  const id = sim.publish(publisher, new TextEncoder().encode("after"));
  sim.run(sim.now + limitMs, () => sim.fullyDelivered(id));
  const record = sim.messages.get(id)!;
  return live.filter((i) => record.deliveredAt.has(i)).length / live.length;
}

function warm(seed: number): Simulation {
  const sim = new Simulation({ nodes: NODES, seed });
  sim.startAll(1000);
  sim.run(10 * PERIOD);
  return sim;
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const started = performance.now();

// 1. Join through one seed.
const joined = warm(SEED);
const joinViews = overlayOf(joined);
const joinParts = connectedComponents(joinViews);
const degree = inDegrees(joinViews);
let asymmetric = 0;
for (const [node, peers] of joinViews) {
  for (const peer of peers) if (!joinViews.get(peer)?.includes(node)) asymmetric++;
}
const passive = joined.liveNodes().map((i) => joined.engines[i]!.stats().membership.passiveView);

// 4. Idle control traffic over 30 s of quiet, on the joined cluster.
const bytesBefore = joined.liveNodes().reduce((t, i) => t + joined.engines[i]!.stats().bytesOut, 0);
const framesBefore = new Map<string, number>();
for (const i of joined.liveNodes()) {
  for (const [k, v] of Object.entries(joined.engines[i]!.stats().framesInByType)) {
    framesBefore.set(k, (framesBefore.get(k) ?? 0) + v);
  }
}
const IDLE_MS = 30_000;
joined.run(joined.now + IDLE_MS);
const bytesAfter = joined.liveNodes().reduce((t, i) => t + joined.engines[i]!.stats().bytesOut, 0);
const idleBytesPerSec = (bytesAfter - bytesBefore) / NODES / (IDLE_MS / 1000);
const framesPerSec: Record<string, number> = {};
for (const i of joined.liveNodes()) {
  for (const [k, v] of Object.entries(joined.engines[i]!.stats().framesInByType)) {
    framesPerSec[k] = (framesPerSec[k] ?? 0) + v;
  }
}
for (const k of Object.keys(framesPerSec)) {
  framesPerSec[k] = round((framesPerSec[k]! - (framesBefore.get(k) ?? 0)) / NODES / 30, 2);
}
const stillConnected = overlayComponents(joined) === 1;

// 2. Kill half at once.
const crash = warm(SEED + 1);
const pick = seededPrng(SEED ^ 0xdead);
const victims = new Set<number>();
while (victims.size < NODES / 2) victims.add(Math.floor(pick() * NODES));
for (const v of victims) crash.kill(v);
const partsAtKill = overlayComponents(crash);
const killRecovery = untilConnected(crash, 10 * PERIOD);
const killDelivered = deliveredFraction(crash, 30_000);
const crashDegree = inDegrees(overlayOf(crash));

// 3. Partition 50/50 for 10 periods, then heal.
const split = warm(SEED + 2);
split.partition(split.alive.map((_, i) => (i < NODES / 2 ? 0 : 1)));
split.run(split.now + 10 * PERIOD);
const partsDuring = overlayComponents(split);
split.heal();
const healMs = untilConnected(split, 10 * PERIOD);
const healDelivered = deliveredFraction(split, 30_000);

const result = {
  nodes: NODES,
  seed: SEED,
  period_ms: PERIOD,
  join_components: joinParts.length,
  in_degree_mean: round(degree.mean),
  in_degree_sd: round(degree.sd),
  in_degree_min: degree.min,
  in_degree_max: degree.max,
  asymmetric_links: asymmetric,
  passive_view_mean: round(passive.reduce((a, b) => a + b, 0) / passive.length),
  kill50_components_at_kill: partsAtKill,
  kill50_ms_to_one_component: killRecovery,
  kill50_periods_to_one_component: killRecovery === null ? null : round(killRecovery / PERIOD, 2),
  kill50_delivered_fraction: round(killDelivered),
  kill50_in_degree_mean_after: round(crashDegree.mean),
  partition_components_during: partsDuring,
  partition_heal_ms_to_one_component: healMs,
  partition_heal_periods: healMs === null ? null : round(healMs / PERIOD, 2),
  partition_heal_delivered_fraction: round(healDelivered),
  idle_bytes_per_node_per_s: round(idleBytesPerSec, 1),
  idle_frames_in_per_node_per_s: framesPerSec,
  idle_still_one_component: stillConnected,
  wall_ms: Math.round(performance.now() - started),
};
const lines = [
  `join: ${NODES} nodes through one seed -> ${result.join_components} component(s), ` +
  `in-degree ${result.in_degree_mean} ± ${result.in_degree_sd} (min ${degree.min}, max ` +
  `${degree.max}), asymmetric links ${asymmetric}, passive view ${result.passive_view_mean}`,
  `kill 50%: ${partsAtKill} components at the kill -> one component after ${killRecovery} ms ` +
  `(${result.kill50_periods_to_one_component} periods); a message then reached ` +
  `${round(killDelivered * 100, 1)}% of survivors`,
  `partition 50/50 for 10 periods: ${partsDuring} components -> one component ${healMs} ms ` +
  `(${result.partition_heal_periods} periods) after the heal; delivery ` +
  `${round(healDelivered * 100, 1)}%`,
  `idle: ${result.idle_bytes_per_node_per_s} bytes/s sent per node (all protocol traffic)`,
];
Deno.stdout.writeSync(
  new TextEncoder().encode(lines.join("\n") + "\n" + JSON.stringify(result) + "\n"),
);
