/**
 * One row pair of docs/SCALE.md: a cluster on wide-area links (WAN preset, 50–150 ms one way by
 * default) warmed up once, then one message published cold (the first one, no tree yet) and,
 * after two more warm-up messages, three messages at steady state, 10 ms apart. Prints the
 * figures of both phases, the wall time and the heap per node as one JSON line (peak RSS comes
 * from `/usr/bin/time -v` around the run).
 *
 * deno run --v8-flags=--expose-gc,--max-old-space-size=16000 bench/sim_scale.ts --nodes 100000
 *   [--active 5] [--passive 30] [--shuffle 10000] [--probe 5000] [--delay 50] [--jitter 100]
 *   [--seed 1]
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { GossipOptions } from "../lib/options.ts";
import { wanOptions } from "../lib/presets.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { Simulation } from "../lib/sim/simulation.ts";
import type { MessageId } from "../lib/wire/message_id.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "1000" },
    active: { type: "string" },
    passive: { type: "string" },
    shuffle: { type: "string" },
    probe: { type: "string" },
    delay: { type: "string", default: "50" },
    jitter: { type: "string", default: "100" },
    seed: { type: "string", default: "1" },
  },
});

const nodes = Number(values.nodes);
const seed = Number(values.seed);
const gossip: GossipOptions = { ...wanOptions() };
if (values.active) gossip.activeViewSize = Number(values.active);
if (values.passive) gossip.passiveViewSize = Number(values.passive);
if (values.shuffle) gossip.shuffleIntervalMs = Number(values.shuffle);
if (values.probe) gossip.probeIntervalMs = Number(values.probe);
const gc = (globalThis as { gc?: () => void }).gc;
const log = (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));

const t0 = performance.now();
const sim = new Simulation({
  nodes,
  seed,
  delayMs: Number(values.delay),
  jitterMs: Number(values.jitter),
  gossip,
});
const interval = gossip.antiEntropyIntervalMs!;
sim.startAll(interval);
sim.run(10 * interval);
gc?.();
const heapPerNode = Math.round(Deno.memoryUsage().heapUsed / nodes);
const tWarm = performance.now();
log(`warm-up of ${nodes} nodes: ${((tWarm - t0) / 1000).toFixed(1)} s, ${heapPerNode} B heap/node`);

function traffic() {
  let payloads = 0, datagrams = 0, bytes = 0, payloadBytes = 0;
  for (const engine of sim.engines) {
    const s = engine.stats();
    payloads += s.payloadsIn;
    datagrams += s.datagramsOut;
    bytes += s.bytesOut;
    payloadBytes += s.payloadBytesOut;
  }
  return { payloads, datagrams, bytes, payloadBytes };
}

/** Publishes `count` messages 10 ms apart from random nodes and runs until all are full. */
function measure(count: number, label: string) {
  const pick = seededPrng(seed * 31 + count);
  const before = traffic();
  const start = sim.now;
  const ids: MessageId[] = [];
  for (let m = 0; m < count; m++) {
    ids.push(sim.publish(Math.floor(pick() * nodes), new TextEncoder().encode(`${label} ${m}`)));
    sim.run(sim.now + 10);
  }
  let full = 0;
  sim.run(sim.now + 120_000, () => {
    while (full < ids.length && sim.fullyDelivered(ids[full]!)) full++;
    return full === ids.length;
  });
  const elapsed = sim.now - start;
  const after = traffic();
  const times: number[] = [];
  let maxHops = 0;
  let delivered = 0;
  for (const id of ids) {
    const record = sim.messages.get(id)!;
    let last = record.publishedAt;
    for (const at of record.deliveredAt.values()) if (at > last) last = at;
    if (sim.fullyDelivered(id)) times.push(last - record.publishedAt);
    maxHops = Math.max(maxHops, record.maxHops);
    delivered += sim.holders(id) / sim.liveCount();
  }
  times.sort((a, b) => a - b);
  const perNode = (x: number) => Math.round((x / nodes) * 100) / 100;
  return {
    phase: label,
    messages: count,
    delivered_fraction: Math.round((delivered / count) * 10000) / 10000,
    median_ms_to_full: times.length === count ? Math.round(times[(count - 1) >> 1]!) : null,
    max_ms_to_full: times.length === count ? Math.round(times.at(-1)!) : null,
    max_hops: maxHops,
    payload_copies_per_node: Math.round(
      ((after.payloads - before.payloads) / (count * (nodes - 1))) * 1000,
    ) / 1000,
    // Everything but payload bytes, per node, over the measured window.
    control_bytes_per_node: perNode(
      after.bytes - after.payloadBytes - (before.bytes - before.payloadBytes),
    ),
    datagrams_per_node: perNode(after.datagrams - before.datagrams),
    window_ms: Math.round(elapsed),
  };
}

const cold = measure(1, "cold");
const tCold = performance.now();
for (let w = 0; w < 2; w++) measure(1, "warm-up");
const steady = measure(3, "steady");
const tEnd = performance.now();
const idle = (() => {
  // Background traffic: one anti-entropy period with nothing published.
  const before = traffic();
  sim.run(sim.now + interval);
  const after = traffic();
  return {
    datagrams_per_node_per_s: Math.round(
      ((after.datagrams - before.datagrams) / nodes / (interval / 1000)) * 100,
    ) / 100,
    bytes_per_node_per_s: Math.round((after.bytes - before.bytes) / nodes / (interval / 1000)),
  };
})();
const result = {
  nodes,
  seed,
  delay_ms: Number(values.delay),
  jitter_ms: Number(values.jitter),
  active_view: sim.engines[0]!.options.activeViewSize,
  passive_view: sim.engines[0]!.options.passiveViewSize,
  shuffle_ms: sim.engines[0]!.options.shuffleIntervalMs,
  probe_ms: sim.engines[0]!.options.probeIntervalMs,
  cold,
  steady,
  idle,
  duplicate_deliveries: sim.duplicateDeliveries,
  heap_bytes_per_node: heapPerNode,
  wall_s: {
    warmup: Math.round((tWarm - t0) / 100) / 10,
    cold: Math.round((tCold - tWarm) / 100) / 10,
    total: Math.round((tEnd - t0) / 100) / 10,
  },
};
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(result) + "\n"));
