/**
 * Open-loop many-publisher runs in the simulator: every live node publishes at an equal share of
 * a total offered rate, whether or not earlier messages have arrived, the way an application
 * with many writers loads a cluster. Reports what reached everyone, how fast, and what it cost
 * in payload copies and in datagrams of every kind (payloads, IHAVE, grafts, ACKs, digests,
 * membership) per message.
 *
 * @module
 */

import { seededPrng } from "../core/prng.ts";
import type { GossipOptions } from "../options.ts";
import type { MessageId } from "../wire/message_id.ts";
import { type SharedCpu, Simulation } from "./simulation.ts";

/** Settings of one open-loop run. */
export interface OpenLoopOptions {
  /** Number of nodes. */
  nodes: number;
  /** Total offered rate over all publishers, messages per virtual second. */
  rate: number;
  /** Virtual ms during which nodes publish. @default {5000} */
  durationMs?: number;
  /** Virtual ms after the last publication to let messages finish. @default {2000} */
  drainMs?: number;
  /** A message counts as "full" when every live node has it within this many ms. @default {2000} */
  fullWithinMs?: number;
  /** Payload size in bytes. @default {100} */
  payloadBytes?: number;
  /** Seed of every random choice. @default {1} */
  seed?: number;
  /** Loss probability on every link, 0..1. @default {0} */
  loss?: number;
  /** One-way link delay, virtual ms. @default {10} */
  delayMs?: number;
  /** Extra uniform random delay, 0..jitterMs. @default {5} */
  jitterMs?: number;
  /** Virtual ms of membership warm-up before publishing. @default {10 anti-entropy periods} */
  warmupMs?: number;
  /** Protocol options of every node. */
  gossip?: GossipOptions;
  /**
   * Every node on one shared core with these costs, as in the loopback benchmark's one process
   * (see {@linkcode SharedCpu}); it is busy from the warm-up on.
   */
  cpu?: SharedCpu;
}

/** Figures of one open-loop run (snake_case: printed as JSON). */
export interface OpenLoopResult {
  nodes: number;
  mode: string;
  seed: number;
  loss: number;
  /** Offered rate, messages per virtual second in total. */
  rate: number;
  /** Messages published. */
  messages: number;
  /** Mean over messages of the fraction of live nodes that had it when the run ended. */
  delivered_fraction: number;
  /** Fraction of messages that reached every live node within `fullWithinMs`. */
  full_fraction: number;
  /** Median over messages of publish → last delivery; null when under half were full. */
  p50_ms_to_full: number | null;
  /** 99th percentile of the same; null when over 1% never got full. */
  p99_ms_to_full: number | null;
  /** Data frames received per node per message (1 is the floor). */
  payload_copies_per_node: number;
  /** Datagrams of every kind sent in the window, per message. */
  datagrams_per_message: number;
  /** The same divided by N − 1 (1 is one datagram per receiving node). */
  datagrams_per_message_per_node: number;
  /** Messages delivered twice to one node (must be 0). */
  duplicate_deliveries: number;
  /** With a shared core: its busy share over the publishing window and drain. */
  cpu_busy?: number;
  /** With a shared core: the most an event waited for it (ms). */
  cpu_max_lag_ms?: number;
}

/** The `p`-quantile (0..1) of sorted values, by the nearest-rank method. */
function quantile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

/** Runs one open-loop configuration. Deterministic for a given seed. */
export function runOpenLoop(options: OpenLoopOptions): OpenLoopResult {
  const seed = options.seed ?? 1;
  const interval = options.gossip?.antiEntropyIntervalMs ?? 1000;
  const durationMs = options.durationMs ?? 5000;
  const fullWithin = options.fullWithinMs ?? 2000;
  const sim = new Simulation({
    nodes: options.nodes,
    seed,
    loss: options.loss ?? 0,
    delayMs: options.delayMs ?? 10,
    jitterMs: options.jitterMs ?? 5,
    ...(options.gossip ? { gossip: options.gossip } : {}),
    ...(options.cpu ? { cpu: options.cpu } : {}),
  });
  sim.startAll(interval);
  sim.run(options.warmupMs ?? 10 * interval);

  // Each live node publishes every `period` ms from a random phase: an equal share of the rate.
  const live = sim.liveNodes();
  const period = (1000 * live.length) / options.rate;
  const pick = seededPrng(seed ^ 0x0be1);
  const start = sim.now;
  const schedule: { at: number; node: number }[] = [];
  for (const node of live) {
    for (let at = start + pick() * period; at < start + durationMs; at += period) {
      schedule.push({ at, node });
    }
  }
  schedule.sort((a, b) => a.at - b.at || a.node - b.node);

  let payloads = 0;
  let datagrams = 0;
  const totals = (sign: number) => {
    for (const i of live) {
      const stats = sim.engines[i]!.stats();
      payloads += sign * stats.payloadsIn;
      datagrams += sign * stats.datagramsOut;
    }
  };
  totals(-1);
  const busyBefore = sim.cpu.busyMs;
  sim.cpu.maxLagMs = 0;
  const ids: MessageId[] = [];
  for (const { at, node } of schedule) {
    sim.run(at);
    // The payload's first bytes number the message so that no two payloads are equal.
    const payload = new Uint8Array(options.payloadBytes ?? 100);
    new DataView(payload.buffer).setUint32(0, ids.length);
    ids.push(sim.publish(node, payload));
  }
  let fullSoFar = 0;
  sim.run(start + durationMs + (options.drainMs ?? 2000), () => {
    while (fullSoFar < ids.length && sim.fullyDelivered(ids[fullSoFar]!)) fullSoFar++;
    return fullSoFar === ids.length;
  });
  totals(1);
  const busy = (sim.cpu.busyMs - busyBefore) / Math.max(1, sim.now - start);

  const liveCount = sim.liveCount();
  const times: number[] = [];
  let delivered = 0;
  for (const id of ids) {
    const record = sim.messages.get(id)!;
    delivered += sim.holders(id) / liveCount;
    if (!sim.fullyDelivered(id)) {
      times.push(Infinity);
      continue;
    }
    let last = record.publishedAt;
    for (const at of record.deliveredAt.values()) if (at > last) last = at;
    times.push(last - record.publishedAt);
  }
  times.sort((a, b) => a - b);
  const count = Math.max(1, ids.length);
  const finite = (x: number | undefined) =>
    x === undefined || !Number.isFinite(x) ? null : Math.round(x);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    nodes: options.nodes,
    mode: options.gossip?.mode ?? "tree",
    seed,
    loss: options.loss ?? 0,
    rate: options.rate,
    messages: ids.length,
    delivered_fraction: round(delivered / count),
    full_fraction: round(times.filter((t) => t <= fullWithin).length / count),
    p50_ms_to_full: ids.length ? finite(quantile(times, 0.5)) : null,
    p99_ms_to_full: ids.length ? finite(quantile(times, 0.99)) : null,
    payload_copies_per_node: round(payloads / (count * Math.max(1, liveCount - 1))),
    datagrams_per_message: round(datagrams / count),
    datagrams_per_message_per_node: round(datagrams / count / Math.max(1, liveCount - 1)),
    duplicate_deliveries: sim.duplicateDeliveries,
    ...(options.cpu ? { cpu_busy: round(busy), cpu_max_lag_ms: Math.round(sim.cpu.maxLagMs) } : {}),
  };
}
