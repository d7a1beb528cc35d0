/**
 * One simulator run for the sweep, on the {@linkcode Simulation} API directly (not
 * `runScenario`), so it can keep every node's virtual delivery time and draw delivery curves.
 * The phases mirror `runScenario`: start spread over one period, warm up, publish warm-up
 * messages until each is fully delivered, then publish the measured messages 10 ms apart and run
 * until all are fully delivered or the limit passes.
 *
 * @module
 */

import type { BroadcastMode } from "../lib/options.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { Simulation } from "../lib/sim/simulation.ts";
import type { MessageId } from "../lib/wire/message_id.ts";
import { deliveryCurve, median, round } from "./bench_stats.ts";

/** What to run. */
export interface SimRunConfig {
  nodes: number;
  mode: BroadcastMode;
  /** Loss probability per datagram, 0..1. */
  loss: number;
  seed: number;
  warmupMessages: number;
  messages: number;
  /** Virtual ms allowed after the last publish for full delivery. */
  limitMs: number;
}

/** Figures of one run (snake_case: printed as JSON). */
export interface SimRunResult {
  nodes: number;
  mode: BroadcastMode;
  loss: number;
  seed: number;
  messages: number;
  /** Mean fraction of nodes that got each measured message. */
  delivered_fraction: number;
  /** Data frames received per node per message (1 is the floor). */
  payload_copies_per_node: number;
  /** Median over messages of publish → last delivery, virtual ms; null unless all full. */
  median_ms_to_full: number | null;
  /** Slowest message's publish → last delivery; null unless all full. */
  max_ms_to_full: number | null;
  /** Median over all (message, node) pairs of the delivery delay, virtual ms. */
  median_delivery_ms: number;
  /** 99th percentile over all (message, node) pairs of the delivery delay. */
  p99_delivery_ms: number;
  max_hops: number;
  /** Datagrams sent per node per message during the measured window. */
  datagrams_per_node_per_msg: number;
  /** Bytes sent per node per message during the measured window. */
  bytes_per_node_per_msg: number;
  duplicate_deliveries: number;
  /** Wall-clock ms of the warm-up (boot, membership, warm-up messages). */
  wall_warmup_ms: number;
  /** Wall-clock ms of the measured part. */
  wall_measure_ms: number;
  /** Delivery curve: [virtual ms since publish, fraction of (message, node) pairs]. */
  curve: [number, number][];
}

/** Runs one configuration; deterministic in everything but the wall times. */
export function runSim(config: SimRunConfig): SimRunResult {
  const t0 = performance.now();
  const interval = 1000;
  const sim = new Simulation({
    nodes: config.nodes,
    seed: config.seed,
    loss: config.loss,
    gossip: { mode: config.mode },
  });
  const pick = seededPrng(config.seed ^ 0x5eed);
  const text = new TextEncoder();
  sim.startAll(interval);
  sim.run(10 * interval);
  for (let w = 0; w < config.warmupMessages; w++) {
    const id = sim.publish(Math.floor(pick() * config.nodes), text.encode(`warm-up ${w}`));
    sim.run(sim.now + 10 * interval, () => sim.fullyDelivered(id));
  }
  const t1 = performance.now();

  const totals = () => {
    let payloads = 0, datagrams = 0, bytes = 0;
    for (const engine of sim.engines) {
      const s = engine.stats();
      payloads += s.payloadsIn;
      datagrams += s.datagramsOut;
      bytes += s.bytesOut;
    }
    return { payloads, datagrams, bytes };
  };
  const before = totals();
  const ids: MessageId[] = [];
  for (let m = 0; m < config.messages; m++) {
    const from = Math.floor(pick() * config.nodes);
    ids.push(sim.publish(from, text.encode(`message ${m}`)));
    sim.run(sim.now + 10);
  }
  sim.run(sim.now + config.limitMs, () => ids.every((id) => sim.fullyDelivered(id)));
  const after = totals();
  const t2 = performance.now();

  const delays: number[][] = [];
  const fullTimes: number[] = [];
  let maxHops = 0;
  let deliveredSum = 0;
  for (const id of ids) {
    const record = sim.messages.get(id)!;
    const list: number[] = [];
    for (const at of record.deliveredAt.values()) list.push(at - record.publishedAt);
    delays.push(list);
    deliveredSum += list.length / config.nodes;
    if (list.length === config.nodes) fullTimes.push(Math.max(...list));
    maxHops = Math.max(maxHops, record.maxHops);
  }
  const all = delays.flat().sort((a, b) => a - b);
  const full = fullTimes.length === ids.length;
  const perNodeMsg = config.nodes * config.messages;
  return {
    nodes: config.nodes,
    mode: config.mode,
    loss: config.loss,
    seed: config.seed,
    messages: config.messages,
    delivered_fraction: round(deliveredSum / ids.length, 4),
    payload_copies_per_node: round(
      (after.payloads - before.payloads) / (config.messages * (config.nodes - 1)),
    ),
    median_ms_to_full: full ? Math.round(median(fullTimes)) : null,
    max_ms_to_full: full ? Math.round(Math.max(...fullTimes)) : null,
    median_delivery_ms: Math.round(all[Math.floor((all.length - 1) / 2)] ?? 0),
    p99_delivery_ms: Math.round(all[Math.ceil(0.99 * all.length) - 1] ?? 0),
    max_hops: maxHops,
    datagrams_per_node_per_msg: round((after.datagrams - before.datagrams) / perNodeMsg, 2),
    bytes_per_node_per_msg: round((after.bytes - before.bytes) / perNodeMsg, 1),
    duplicate_deliveries: sim.duplicateDeliveries,
    wall_warmup_ms: Math.round(t1 - t0),
    wall_measure_ms: Math.round(t2 - t1),
    curve: deliveryCurve(delays, config.nodes, 60).map(([t, f]) => [round(t, 1), round(f, 4)]),
  };
}
