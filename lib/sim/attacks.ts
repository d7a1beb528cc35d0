/**
 * Attacks and faults as simulator scenarios (`deno task sim --attack NAME`). Each one warms up a
 * cluster, runs the attack for a while with honest nodes publishing, lets it settle, and reports
 * what the defences are judged by: the fraction of honest messages delivered to honest nodes, the
 * honest share of the victims' active views, the victims' delivery latency, and the bytes sent to
 * adversary or spoofed addresses per byte received from them.
 *
 * - `none`: the baseline (same publishing, no attack).
 * - `eclipse`: 10% of the nodes are Sybils (separate addresses in 172.16/16) that answer PINGs,
 *   accept every neighbour, hand out Sybil-only peer lists and swallow messages; they send JOIN,
 *   NEIGHBOR(high) and SHUFFLE at `rate` datagrams/s, half at 10 victims, half at random nodes.
 * - `own-id`: frames carrying each victim's own node id (FORWARD_JOIN naming its neighbours, JOIN
 *   and PING spoofed from its neighbours, SHUFFLE listing it at a neighbour's address).
 * - `censor`: one forged DATA frame with an honest origin's id and sequence 2^24 − 1, then a flood
 *   of random ids past every seen set (`seenCapacity` scaled down to 1,000 so the flood stays
 *   small), then the origin publishes.
 * - `reflection`: every frame type from spoofed addresses (nobody receives there); reports bytes
 *   sent back per byte received, per frame type.
 * - faults: `oneway` (half the nodes cannot reach the other half, the reverse works), `lossy` (10%
 *   of the nodes lose half their datagrams), `mute` (10% of the nodes send nothing).
 *
 * @module
 */

import { seededPrng } from "../core/prng.ts";
import type { GossipOptions } from "../options.ts";
import type { Address } from "../wire/address.ts";
import { type Frame, FrameType } from "../wire/frame.ts";
import { makeMessageId, MAX_SEQ, type MessageId, NODE_ID_SPACE } from "../wire/message_id.ts";
import { Adversary, spoofedAddress } from "./adversary.ts";
import { LinkFaults } from "./faults.ts";
import { simAddress, Simulation } from "./simulation.ts";

/** The scenario names `--attack` accepts. */
export const ATTACKS = [
  "none",
  "eclipse",
  "own-id",
  "censor",
  "reflection",
  "oneway",
  "lossy",
  "mute",
] as const;

/** One of {@linkcode ATTACKS}. */
export type AttackName = typeof ATTACKS[number];

/** Settings of one attack run. */
export interface AttackOptions {
  /** The scenario. */
  attack: AttackName;
  /** Nodes in all, adversaries included. @default {1000} */
  nodes?: number;
  /** Seed of every random choice. @default {1} */
  seed?: number;
  /** Virtual ms the attack (or fault) lasts. @default {60000} */
  durationMs?: number;
  /** Datagrams per second the adversary sends. @default {1000} */
  rate?: number;
  /** Honest messages published during the attack. @default {20} */
  messages?: number;
  /** Protocol options of every honest node. */
  gossip?: GossipOptions;
}

/** Figures of one attack run; snake_case because it is printed as JSON. */
export interface AttackResult {
  attack: AttackName;
  nodes: number;
  honest_nodes: number;
  seed: number;
  duration_ms: number;
  /** Datagrams the adversary sent. */
  attack_datagrams: number;
  /** Honest messages measured. */
  messages: number;
  /** Mean over honest messages of the fraction of live honest nodes that delivered it. */
  delivered_fraction: number;
  /** Messages that reached every live honest node. */
  fully_delivered: number;
  /** Honest entries / all entries of the victims' active views at the end of the attack. */
  victim_honest_share: number;
  /** Fewest honest neighbours any victim had at the end of the attack. */
  victim_min_honest_neighbors: number;
  /** Median publish → delivery time at the victims, virtual ms. */
  victim_p50_ms: number | null;
  /** 99th percentile publish → delivery time at the victims, virtual ms. */
  victim_p99_ms: number | null;
  /** Bytes honest nodes sent to adversary or spoofed addresses per byte received from them. */
  amplification: number;
  /** Attack-specific figures. */
  detail: Record<string, number | string | null>;
}

const VICTIMS = 10;
/** Share of the attack traffic aimed at the victims (the rest goes to random nodes). */
const TARGETED = 0.5;
const STEP_MS = 10;
const WARMUP_MS = 20_000;
const SETTLE_MS = 30_000;

function percentile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Runs one attack scenario. Deterministic for a given seed. */
export function runAttack(options: AttackOptions): AttackResult {
  const attack = options.attack;
  const total = options.nodes ?? 1000;
  const seed = options.seed ?? 1;
  const duration = options.durationMs ?? 60_000;
  const rate = options.rate ?? 1000;
  const count = options.messages ?? 20;
  const sybils = attack === "eclipse" ? Math.floor(total / 10) : 0;
  const honest = total - sybils;
  const gossip: GossipOptions = { ...options.gossip };
  if (attack === "censor") gossip.seenCapacity = 1000;
  const sim = new Simulation({ nodes: honest, seed, gossip });
  const adversary = new Adversary(sim, { sybils, seed });
  const faults = new LinkFaults(seed);
  sim.linkFilter = faults.filter;
  const pick = seededPrng(seed ^ 0xa77ac);
  const randomNode = () => Math.floor(pick() * honest);
  const victims: number[] = [];
  while (victims.length < Math.min(VICTIMS, honest - 1)) {
    const v = 1 + Math.floor(pick() * (honest - 1));
    if (!victims.includes(v)) victims.push(v);
  }
  sim.startAll(1000);
  sim.run(WARMUP_MS);

  const excluded = new Set<number>();
  const detail: Record<string, number | string | null> = {};
  const before = new Map(victims.map((v) => [v, new Set(sim.engines[v]!.activePeers())]));
  const ids: MessageId[] = [];
  let credit = 0;
  let sent = 0;
  // The attack draws from its own source, so honest publishing is the same with and without it.
  const act = attackStep(attack, sim, adversary, victims, seededPrng(seed ^ 0xbad5), detail);
  if (attack === "oneway") {
    const half = Array.from({ length: honest }, (_, i) => i);
    faults.cutOneWay(half.slice(0, honest / 2), half.slice(honest / 2));
  } else if (attack === "lossy" || attack === "mute") {
    for (let k = 0; k < Math.floor(honest / 10); k++) {
      const node = 1 + randomNode() % (honest - 1);
      // Victims stay healthy: they are the nodes whose views and latency are reported.
      if (victims.includes(node)) continue;
      if (attack === "mute") {
        faults.mute(node);
        excluded.add(node);
      } else faults.loseAt(node, 0.5);
    }
  }
  const start = sim.now;
  const publishEvery = duration / count;
  let nextPublish = start + publishEvery / 2;
  const censorOrigin = victims[0]!;
  while (sim.now < start + duration) {
    credit += rate * STEP_MS / 1000;
    while (credit >= 1 && act) {
      credit--;
      sent++;
      act(sent);
    }
    if (sim.now >= nextPublish && (attack !== "censor" || sim.now >= start + duration / 2)) {
      let from = attack === "censor" ? censorOrigin : randomNode();
      while (excluded.has(from)) from = randomNode();
      ids.push(sim.publish(from, new TextEncoder().encode(`honest ${ids.length}`)));
      nextPublish += attack === "censor" ? publishEvery / 2 : publishEvery;
    }
    sim.run(sim.now + STEP_MS);
  }
  // Views at the end of the attack, before anything settles.
  const honestAddresses = new Set(sim.liveNodes().map(simAddress));
  let honestEntries = 0;
  let entries = 0;
  let minHonest = Infinity;
  let kept = 0;
  for (const v of victims) {
    const view = sim.engines[v]!.activePeers();
    const good = view.filter((address) => honestAddresses.has(address)).length;
    honestEntries += good;
    entries += view.length;
    minHonest = Math.min(minHonest, good);
    kept += view.filter((address) => before.get(v)!.has(address)).length;
  }
  for (
    const key of ["evictions", "disconnectsReceived", "deaths", "admissionsRefused", "linksUp"]
  ) {
    detail[`victim_${key}`] = victims.reduce(
      (n, v) => n + (sim.engines[v]!.stats().membership[key] ?? 0),
      0,
    );
  }
  detail.victim_honest = victims.map((v) =>
    sim.engines[v]!.activePeers().filter((a) => honestAddresses.has(a)).length
  ).join(",");
  if (attack === "own-id") {
    detail.neighbors_kept = kept;
    detail.neighbors_before = [...before.values()].reduce((n, s) => n + s.size, 0);
  }
  faults.clear();
  adversary.answering = false;
  const counted = sim.liveNodes().filter((i) => !excluded.has(i));
  const full = (id: MessageId) => counted.every((i) => sim.messages.get(id)!.deliveredAt.has(i));
  detail.heal_at_ms = sim.now - start;
  sim.run(sim.now + SETTLE_MS, () => ids.every(full));
  let delivered = 0;
  let fully = 0;
  const latencies: number[] = [];
  for (const id of ids) {
    const record = sim.messages.get(id)!;
    const have = counted.filter((i) => record.deliveredAt.has(i)).length;
    delivered += have / counted.length;
    if (have === counted.length) fully++;
    for (const v of victims) {
      const at = record.deliveredAt.get(v);
      if (at !== undefined && v !== record.publisher) latencies.push(at - record.publishedAt);
    }
  }
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const attacked: Address[] = [...adversary.bytesFrom.keys()];
  return {
    attack,
    nodes: total,
    honest_nodes: honest,
    seed,
    duration_ms: duration,
    attack_datagrams: adversary.datagramsSent,
    messages: ids.length,
    delivered_fraction: round(ids.length === 0 ? 1 : delivered / ids.length),
    fully_delivered: fully,
    victim_honest_share: round(entries === 0 ? 0 : honestEntries / entries),
    victim_min_honest_neighbors: minHonest === Infinity ? 0 : minHonest,
    victim_p50_ms: roundMs(percentile(latencies, 0.5)),
    victim_p99_ms: roundMs(percentile(latencies, 0.99)),
    amplification: round(adversary.amplification(attacked)),
    detail,
  };
}

/** The adversary's action for datagram number `n` of the attack, or undefined for faults. */
function attackStep(
  attack: AttackName,
  sim: Simulation,
  adversary: Adversary,
  victims: number[],
  pick: () => number,
  detail: Record<string, number | string | null>,
): ((n: number) => void) | undefined {
  const honest = sim.engines.length;
  const target =
    () => (pick() < TARGETED
      ? victims[Math.floor(pick() * victims.length)]!
      : Math.floor(pick() * honest));
  switch (attack) {
    case "eclipse":
      return (n) => {
        const sybil = adversary.randomSybil();
        const id = adversary.idOf(sybil);
        const frame: Frame = n % 3 === 0
          ? { type: FrameType.Join, nodeId: id, value: 0 }
          : n % 3 === 1
          ? { type: FrameType.Neighbor, nodeId: id, value: 1 }
          : adversary.peersFrame(FrameType.Shuffle, sybil, 1);
        adversary.send(sybil, target(), [frame]);
      };
    case "own-id":
      return (n) => {
        const victim = victims[n % victims.length]!;
        const engine = sim.engines[victim]!;
        const self = engine.nodeId;
        const neighbors = engine.activePeers();
        const neighbor = neighbors[Math.floor(pick() * neighbors.length)] ?? simAddress(0);
        const forged = { nodeId: self, address: neighbor, age: 0 };
        const kind = n % 4;
        // The FORWARD_JOIN comes from an outside address (this scenario has no Sybils).
        const source = kind === 0 ? spoofedAddress(n) : neighbor;
        const frame: Frame = kind === 0
          ? { type: FrameType.ForwardJoin, ttl: 3, origin: forged, peers: [] }
          : kind === 1
          ? { type: FrameType.Join, nodeId: self, value: 0 }
          : kind === 2
          ? { type: FrameType.Ping, nodeId: self, value: 1 }
          : {
            type: FrameType.Shuffle,
            ttl: 1,
            origin: { nodeId: self, address: "0.0.0.0:0", age: 0 },
            peers: [forged],
          };
        adversary.send(source, victim, [frame]);
      };
    case "censor": {
      const origin = sim.engines[victims[0]!]!.nodeId;
      const forged = makeMessageId(origin, MAX_SEQ);
      const flood = 1500;
      detail.forged_origin = origin;
      detail.flood_ids = flood;
      let flooded = 0;
      return (n) => {
        const to = Math.floor(pick() * honest);
        const source = spoofedAddress(n);
        if (n === 1) {
          adversary.send(source, to, [data(forged, 0)]);
          return;
        }
        if (flooded >= flood) return;
        const frames: Frame[] = [];
        for (let k = 0; k < 10 && flooded < flood; k++, flooded++) {
          const id = makeMessageId(
            Math.floor(pick() * NODE_ID_SPACE),
            1 + Math.floor(pick() * 1000),
          );
          frames.push(data(id, k));
        }
        adversary.send(source, to, frames);
      };
    }
    case "reflection": {
      const kinds = reflectionProbes(sim, pick);
      return (n) => {
        const kind = kinds[n % kinds.length]!;
        const source = spoofedAddress(n);
        kind.sources.add(source);
        adversary.send(source, Math.floor(pick() * honest), [kind.frame()]);
        detail[`amplification_${kind.name}`] = Math.round(
          adversary.amplification(kind.sources) * 1000,
        ) / 1000;
      };
    }
    default:
      return undefined;
  }
}

function data(id: MessageId, k: number): Frame {
  return { type: FrameType.Data, flags: 0, id, hops: 0, payload: new Uint8Array([k]) };
}

/** One probe per frame type a spoofer can send, each counted over its own source addresses. */
function reflectionProbes(sim: Simulation, pick: () => number) {
  const recent = () => [...sim.messages.keys()].slice(-8);
  const probes: { name: string; frame: () => Frame; sources: Set<Address> }[] = [
    { name: "digest", frame: () => ({ type: FrameType.Digest, complete: true, ranges: [] }) },
    {
      name: "digest_range",
      frame: () => {
        const origin = sim.engines[Math.floor(pick() * sim.engines.length)]!.nodeId;
        return { type: FrameType.Digest, complete: false, ranges: [{ origin, low: 1, high: 1 }] };
      },
    },
    { name: "iwant", frame: () => ({ type: FrameType.IWant, ids: recent() }) },
    { name: "graft", frame: () => ({ type: FrameType.Graft, ids: recent() }) },
    { name: "join", frame: () => ({ type: FrameType.Join, nodeId: 77, value: 0 }) },
    { name: "neighbor", frame: () => ({ type: FrameType.Neighbor, nodeId: 77, value: 1 }) },
    { name: "ping", frame: () => ({ type: FrameType.Ping, nodeId: 77, value: 5 }) },
    {
      name: "shuffle",
      frame: () => ({
        type: FrameType.Shuffle,
        ttl: 1,
        origin: { nodeId: 77, address: "0.0.0.0:0", age: 0 },
        peers: [],
      }),
    },
    {
      name: "ping_req",
      frame: () => ({ type: FrameType.PingReq, nodeId: 77, value: 9, target: spoofedAddress(1) }),
    },
  ].map((probe) => ({ ...probe, sources: new Set<Address>() }));
  return probes;
}

function roundMs(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}
