/**
 * Large messages in the simulator: how a message of `--payload` bytes (sent as chunks) reaches a
 * cluster, and what it costs on the wire per node.
 *
 * A warmed-up cluster settles its shared tree with small messages, then one publisher sends
 * `--messages` large messages, each after the previous one reached every live node. The first
 * builds the publisher's tree (its first chunks prune the duplicate links); the others travel a
 * settled tree: that is the steady state the wire ratio is measured on. Bytes count everything a
 * node sent or received from the publish until 500 ms after full delivery (membership probes,
 * digests, IHAVE announcements included).
 *
 * ```sh
 * deno run --allow-write=bench/out bench/large_message_bench.ts --nodes 1000 --loss 0
 * deno run --allow-write=bench/out bench/large_message_bench.ts --nodes 1000 --loss 0.1
 * deno run --allow-write=bench/out bench/large_message_bench.ts --nodes 1000 --mixed 0.5
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { seededPrng } from "../lib/core/prng.ts";
import { Simulation } from "../lib/sim/simulation.ts";
import { finish, say } from "./harness.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "1000" },
    loss: { type: "string", default: "0" },
    payload: { type: "string", default: "65536" },
    messages: { type: "string", default: "4" },
    mixed: { type: "string", default: "0" },
    seed: { type: "string", default: "5" },
  },
}).values;

const nodes = Number(args.nodes);
const size = Number(args.payload);
const mixed = Number(args.mixed);
const seed = Number(args.seed);
const sim = new Simulation({
  nodes,
  seed,
  loss: Number(args.loss),
  // A fraction `mixed` of the nodes, spread over the indices, accepts 512-byte datagrams only.
  gossipOf: (i) => ({
    maxDatagramSize: mixed > 0 && Math.floor((i + 1) * mixed) > Math.floor(i * mixed)
      ? 512
      : mixed > 0
      ? 65507
      : 512,
  }),
});
const pick = seededPrng(seed ^ 0x5eed);
const started = performance.now();
sim.startAll(1000);
sim.run(10_000);
for (let w = 0; w < 5; w++) {
  const id = sim.publish(Math.floor(pick() * nodes), new TextEncoder().encode(`warm-up ${w}`));
  sim.run(sim.now + 10_000, () => sim.fullyDelivered(id));
}

const publisher = Math.floor(pick() * nodes);
const live = sim.liveNodes();
const rows = [];
for (let m = 0; m < Number(args.messages); m++) {
  const before = live.map((i) => sim.engines[i]!.stats());
  const data = new Uint8Array(size).map((_, i) => (i * 31 + m * 7) & 0xff);
  const at = sim.now;
  const id = sim.publish(publisher, data);
  sim.run(at + 120_000, () => sim.fullyDelivered(id));
  const fullMs = sim.fullyDelivered(id) ? sim.now - at : null;
  sim.run(sim.now + 500);
  const sent: number[] = [], received: number[] = [];
  live.forEach((i, k) => {
    const s = sim.engines[i]!.stats();
    sent.push(s.bytesOut - before[k]!.bytesOut);
    received.push(s.bytesIn - before[k]!.bytesIn);
  });
  received.sort((a, b) => a - b);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const row = {
    message: m,
    delivered_fraction: round(sim.holders(id) / live.length),
    ms_to_full: fullMs,
    sent_ratio: round(mean(sent) / size),
    received_ratio: round(mean(received) / size),
    p99_received_ratio: round(received[Math.floor(0.99 * (received.length - 1))]! / size),
    max_received_ratio: round(received[received.length - 1]! / size),
  };
  say(JSON.stringify(row));
  rows.push(row);
}
const steady = rows.slice(1);
const worst = (key: "sent_ratio" | "received_ratio") =>
  steady.length ? Math.max(...steady.map((r) => r[key])) : null;
const partials = live.reduce((n, i) => n + sim.engines[i]!.stats().chunks.partialMessages, 0);
await finish("large_message", {
  nodes,
  loss: Number(args.loss),
  payload_bytes: size,
  mixed_fraction_512: mixed,
  all_delivered: rows.every((r) => r.delivered_fraction === 1),
  slowest_ms_to_full: Math.max(...rows.map((r) => r.ms_to_full ?? Infinity)),
  first_sent_ratio: rows[0]?.sent_ratio,
  steady_sent_ratio_max: worst("sent_ratio"),
  steady_received_ratio_max: worst("received_ratio"),
  partial_messages_left: partials,
  wall_ms: Math.round(performance.now() - started),
});
