/**
 * Standard simulator scenarios and the figures they report: warm up a cluster, optionally crash
 * or partition part of it, publish messages, run until every live node holds them (or a limit),
 * and summarise delivery, redundancy, hops, time and traffic.
 *
 * @module
 */

import { seededPrng } from "../core/prng.ts";
import type { GossipOptions } from "../options.ts";
import type { MessageId } from "../wire/message_id.ts";
import { median } from "./percentile.ts";
import { Simulation, type SimulationOptions } from "./simulation.ts";

/** Settings of one scenario run. */
export interface ScenarioOptions {
  /** Number of nodes. */
  nodes: number;
  /** Seed of every random choice. @default {1} */
  seed?: number;
  /** Loss probability on every link, 0..1. @default {0} */
  loss?: number;
  /** One-way link delay, virtual ms. @default {10} */
  delayMs?: number;
  /** Extra uniform random delay, 0..jitterMs. @default {5} */
  jitterMs?: number;
  /** Messages published, from random live nodes. @default {1} */
  messages?: number;
  /**
   * When set (and not partitioned): the messages come round-robin from this many live nodes, so
   * each origin publishes a sequence (what ordering is about). @default {undefined}
   */
  publishers?: number;
  /** Fraction of nodes crashed before publishing, 0..1. @default {0} */
  kill?: number;
  /** When > 0: split the cluster in two halves for this many ms while publishing on both. */
  partitionMs?: number;
  /** Virtual ms of warm-up before publishing. @default {10 anti-entropy periods} */
  warmupMs?: number;
  /** Messages published and fully delivered before measuring (lets trees settle). @default {0} */
  warmupMessages?: number;
  /** Virtual ms allowed after publishing (and after the heal) for full delivery. @default {60000} */
  limitMs?: number;
  /** Protocol options of every node. */
  gossip?: GossipOptions;
  /** Called for every delivery, in order (see {@linkcode SimulationOptions.onDeliver}). */
  onDeliver?: SimulationOptions["onDeliver"];
  /** Node i's own protocol options (see {@linkcode SimulationOptions.gossipOf}). */
  gossipOf?: SimulationOptions["gossipOf"];
  /**
   * When set: each measured message carries this many bytes (larger than a datagram: chunks),
   * and the result adds `payload_bytes` and the wire ratios. @default {undefined}
   */
  payloadBytes?: number;
}

/** Figures of one run; snake_case because it is printed as JSON. */
export interface ScenarioResult {
  /** Number of nodes. */
  nodes: number;
  /** Broadcast mode of the run. */
  mode: string;
  /** Seed of every random choice. @default {1} */
  seed: number;
  /** Loss probability on every link. */
  loss: number;
  /** What was recorded about each published message. */
  messages: number;
  /** Nodes alive when the messages were published. */
  live_nodes: number;
  /** Mean over messages of the fraction of live nodes that delivered it. */
  delivered_fraction: number;
  /** Data frames received per live node per message (1 is the minimum). */
  payload_copies_per_node: number;
  /** Largest hop count of any delivery. */
  max_hops: number;
  /** Slowest message's time from publish to its last delivery; null when not all delivered. */
  virtual_ms_to_full: number | null;
  /** Median over messages of the time to full delivery; null when not all delivered. */
  median_ms_to_full: number | null;
  /** After a partition: time from the heal to the last delivery. */
  virtual_ms_heal_to_full: number | null;
  /** Datagrams sent per live node during the measured window. */
  datagrams_per_node: number;
  /** Bytes other than payloads sent per live node during the window. */
  control_bytes_per_node: number;
  /** All bytes sent per live node during the window. */
  bytes_per_node: number;
  /** Messages delivered twice to one node (must be 0). */
  duplicate_deliveries: number;
  /** With `payloadBytes`: the size of each measured message. */
  payload_bytes?: number;
  /** With `payloadBytes`: bytes sent per live node per message, over the message size. */
  wire_ratio?: number;
  /** With `payloadBytes`: the most bytes any live node received per message, over its size. */
  max_node_wire_ratio_in?: number;
}

/** Traffic totals over the live nodes, from one stats() snapshot per node. */
function totals(sim: Simulation) {
  let payloadsIn = 0, datagramsOut = 0, bytesOut = 0, payloadBytesOut = 0;
  for (const i of sim.liveNodes()) {
    const s = sim.engines[i]!.stats();
    payloadsIn += s.payloadsIn;
    datagramsOut += s.datagramsOut;
    bytesOut += s.bytesOut;
    payloadBytesOut += s.payloadBytesOut;
  }
  return { payloadsIn, datagramsOut, bytesOut, payloadBytesOut };
}

/** Runs one scenario and returns its figures. Deterministic for a given seed. */
export function runScenario(options: ScenarioOptions): ScenarioResult {
  const seed = options.seed ?? 1;
  const interval = options.gossip?.antiEntropyIntervalMs ?? 1000;
  const sim = new Simulation({
    nodes: options.nodes,
    seed,
    loss: options.loss ?? 0,
    delayMs: options.delayMs ?? 10,
    jitterMs: options.jitterMs ?? 5,
    ...(options.gossip ? { gossip: options.gossip } : {}),
    ...(options.onDeliver ? { onDeliver: options.onDeliver } : {}),
    ...(options.gossipOf ? { gossipOf: options.gossipOf } : {}),
  });
  const pick = seededPrng(seed ^ 0x5eed);
  sim.startAll(interval);
  sim.run(options.warmupMs ?? 10 * interval);
  for (let w = 0; w < (options.warmupMessages ?? 0); w++) {
    const from = Math.floor(pick() * options.nodes);
    const id = sim.publish(from, new TextEncoder().encode(`warm-up ${w}`));
    sim.run(sim.now + 10 * interval, () => sim.fullyDelivered(id));
  }

  const killCount = Math.floor((options.kill ?? 0) * options.nodes);
  const victims = new Set<number>();
  while (victims.size < killCount) victims.add(1 + Math.floor(pick() * (options.nodes - 1)));
  for (const victim of victims) sim.kill(victim);

  const live = sim.liveNodes();
  const before = totals(sim);
  const bytesInBefore = live.map((i) => sim.engines[i]!.stats().bytesIn);
  const count = options.messages ?? 1;
  const ids: MessageId[] = [];
  const partitionMs = options.partitionMs ?? 0;
  if (partitionMs > 0) sim.partition(sim.alive.map((_, i) => (i < options.nodes / 2 ? 0 : 1)));
  const fixed = options.publishers === undefined
    ? undefined
    : Array.from({ length: options.publishers }, () => live[Math.floor(pick() * live.length)]!);
  for (let m = 0; m < count; m++) {
    const publisher = fixed && partitionMs === 0
      ? fixed[m % fixed.length]!
      : partitionMs > 0
      ? live.filter((i) => (i < options.nodes / 2) === (m % 2 === 0))[
        Math.floor(pick() * live.length / 2)
      ] ?? live[0]!
      : live[Math.floor(pick() * live.length)]!;
    ids.push(sim.publish(publisher, messageBytes(m, options.payloadBytes)));
    sim.run(sim.now + 10);
  }
  let healAt: number | undefined;
  if (partitionMs > 0) {
    sim.run(sim.now + partitionMs);
    sim.heal();
    healAt = sim.now;
  }
  // Holders only grow while the run goes on, so a message once full stays full: skip past them.
  let fullSoFar = 0;
  const allFull = () => {
    while (fullSoFar < ids.length && sim.fullyDelivered(ids[fullSoFar]!)) fullSoFar++;
    return fullSoFar === ids.length;
  };
  sim.run(sim.now + (options.limitMs ?? 60_000), allFull);

  const after = totals(sim);
  const records = ids.map((id) => sim.messages.get(id)!);
  const liveCount = sim.liveNodes().length;
  let delivered = 0;
  const fullTimes: number[] = [];
  let lastDelivery = 0;
  for (const record of records) {
    let have = 0;
    let last = record.publishedAt;
    for (const [node, at] of record.deliveredAt) {
      if (!sim.alive[node]) continue;
      have++;
      last = Math.max(last, at);
    }
    delivered += have / liveCount;
    if (have === liveCount) fullTimes.push(last - record.publishedAt);
    lastDelivery = Math.max(lastDelivery, last);
  }
  const full = fullTimes.length === records.length;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const sizes = options.payloadBytes === undefined ? {} : {
    payload_bytes: options.payloadBytes,
    wire_ratio: round(
      (after.bytesOut - before.bytesOut) / liveCount / count / options.payloadBytes,
    ),
    max_node_wire_ratio_in: round(
      Math.max(...live.map((i, k) => sim.engines[i]!.stats().bytesIn - bytesInBefore[k]!)) /
        count / options.payloadBytes,
    ),
  };
  return {
    nodes: options.nodes,
    mode: options.gossip?.mode ?? "tree",
    seed,
    loss: options.loss ?? 0,
    messages: count,
    live_nodes: live.length,
    delivered_fraction: round(delivered / records.length),
    payload_copies_per_node: round(
      (after.payloadsIn - before.payloadsIn) / (count * Math.max(1, liveCount - 1)),
    ),
    max_hops: Math.max(...records.map((r) => r.maxHops)),
    virtual_ms_to_full: full ? Math.round(Math.max(...fullTimes)) : null,
    median_ms_to_full: full ? Math.round(median(fullTimes)) : null,
    virtual_ms_heal_to_full: full && healAt !== undefined
      ? Math.max(0, Math.round(lastDelivery - healAt))
      : null,
    datagrams_per_node: round((after.datagramsOut - before.datagramsOut) / liveCount),
    control_bytes_per_node: round(
      (after.bytesOut - after.payloadBytesOut - (before.bytesOut - before.payloadBytesOut)) /
        liveCount,
    ),
    bytes_per_node: round((after.bytesOut - before.bytesOut) / liveCount),
    duplicate_deliveries: sim.duplicateDeliveries,
    ...sizes,
  };
}

/** Message `m`'s bytes: its text, or `size` bytes of a pattern that differs per message. */
function messageBytes(m: number, size: number | undefined): Uint8Array {
  if (size === undefined) return new TextEncoder().encode(`message ${m}`);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + m * 7) & 0xff;
  return out;
}
