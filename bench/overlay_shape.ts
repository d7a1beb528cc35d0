/**
 * Overlay shape probe: radius, diameter, mean distance and degrees of the active-view graph of a
 * simulated cluster at a few times after it starts (everyone joins through node 0, start times
 * spread over the first second, as `deno task sim` does), next to a random graph of the same
 * degrees. Broadcast trees are bounded by these figures (see lib/sim/overlay_shape.ts). Prints one
 * line per seed and time, then one JSON line.
 *
 * Run: deno run --allow-write=bench/out bench/overlay_shape.ts [--nodes 1000] [--seeds 1,2,5] [--at 5,10,20,40]
 *   [--gossip '{"activeViewSize":5}']
 *
 * @module
 */

import { parseArgs } from "node:util";
import { seededPrng } from "../lib/core/prng.ts";
import type { GossipOptions } from "../lib/options.ts";
import { overlayOf } from "../lib/sim/overlay.ts";
import {
  graphShape,
  type OverlayShape,
  overlayShape,
  randomGraphLike,
} from "../lib/sim/overlay_shape.ts";
import { Simulation } from "../lib/sim/simulation.ts";
import { finish, say } from "./harness.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string" },
    seeds: { type: "string" },
    at: { type: "string" },
    gossip: { type: "string" },
  },
});
const NODES = Number(values.nodes ?? 1000);
const SEEDS = (values.seeds ?? "1,2,5").split(",").map(Number);
const TIMES = (values.at ?? "5,10,20,40").split(",").map((s) => Number(s) * 1000);
const GOSSIP = JSON.parse(values.gossip ?? "{}") as GossipOptions;

const brief = (s: OverlayShape) => ({
  radius: s.radius,
  diameter: s.diameter,
  mean_distance: Math.round(s.meanDistance * 100) / 100,
  component: s.largestComponent,
});

const rows = [];
for (const seed of SEEDS) {
  const sim = new Simulation({ nodes: NODES, seed, gossip: GOSSIP });
  sim.startAll(1000);
  let links = 0;
  let since = 0;
  for (const at of TIMES) {
    sim.run(at);
    const views = overlayOf(sim);
    const shape = overlayShape(views);
    const reference = graphShape(randomGraphLike(views, seededPrng(seed)));
    const changes = sim.liveNodes().reduce(
      (t, i) => t + (sim.engines[i]!.stats().membership.linksUp ?? 0),
      0,
    );
    const row = {
      seed,
      at_s: at / 1000,
      ...brief(shape),
      degrees: shape.degrees,
      eccentricities: shape.eccentricities,
      random: brief(reference),
      links_up_per_node_per_s:
        Math.round((changes - links) / NODES / ((at - since) / 1000) * 1000) /
        1000,
    };
    links = changes;
    since = at;
    rows.push(row);
    say(
      `seed ${seed} t=${at / 1000}s radius ${shape.radius} diameter ${shape.diameter} ` +
        `mean ${row.mean_distance} | random: ${reference.radius}/${reference.diameter}/` +
        `${row.random.mean_distance} | degrees ${shape.degrees.join(",")} | ecc ` +
        `${shape.eccentricities.join(",")} | links up/node/s ${row.links_up_per_node_per_s}`,
    );
  }
}
await finish("overlay_shape", { nodes: NODES, rows });
