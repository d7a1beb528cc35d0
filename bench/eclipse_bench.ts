/**
 * Eclipse benchmark on loopback: honest GossipNodes plus a swarm of Sybil UDP sockets that answer
 * PINGs, accept every neighbour and hand out Sybil-only peer lists (tests/sybil_swarm.ts). The
 * swarm sends JOIN, NEIGHBOR(high) and SHUFFLE to one victim at `--rate` datagrams/s for
 * `--duration` ms. Honest nodes publish every `--every` ms throughout; the bench reports, without
 * and with the attack, the victim's delivery (fraction and latency p50/p99) and the fewest honest
 * neighbours it had.
 *
 * Run alone: `deno run --allow-net=127.0.0.1 --allow-read=. --allow-write=bench/out
 * bench/eclipse_bench.ts [--nodes 8] [--sybils 1000] [--rate 1000] [--duration 60000]
 * [--baseline 20000] [--every 100]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { GossipNode } from "../lib/node/node.ts";
import { loopbackCluster } from "../tests/loopback_cluster.ts";
import { SybilSwarm } from "../tests/sybil_swarm.ts";
import { until } from "../tests/until.ts";
import { percentile, round } from "./bench_stats.ts";
import { delay, finish, say } from "./harness.ts";

interface Phase {
  published: number;
  delivered: number;
  p50_ms: number;
  p99_ms: number;
  fewest_honest_neighbors: number;
}

async function phase(
  nodes: GossipNode[],
  victim: GossipNode,
  ms: number,
  every: number,
  tag: string,
): Promise<Phase> {
  const honest = new Set(nodes.map((node) => node.address));
  const sentAt = new Map<string, number>();
  const latency: number[] = [];
  const stop = victim.onMessage((m) => {
    const text = new TextDecoder().decode(m.data);
    const at = sentAt.get(text);
    if (at !== undefined) latency.push(performance.now() - at);
  });
  const others = nodes.filter((node) => node !== victim);
  let fewest = Infinity;
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    const text = `${tag} ${n}`;
    sentAt.set(text, performance.now());
    others[n % others.length]!.publish(new TextEncoder().encode(text));
    n++;
    fewest = Math.min(fewest, victim.activePeers().filter((a) => honest.has(a)).length);
    await delay(every);
  }
  // Stragglers get a bounded grace period.
  await until(() => latency.length >= n, 5000, "stragglers").catch(() => {});
  stop();
  return {
    published: n,
    delivered: latency.length,
    p50_ms: round(percentile(latency, 50), 2),
    p99_ms: round(percentile(latency, 99), 2),
    fewest_honest_neighbors: fewest,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      nodes: { type: "string", default: "8" },
      sybils: { type: "string", default: "1000" },
      rate: { type: "string", default: "1000" },
      duration: { type: "string", default: "60000" },
      baseline: { type: "string", default: "20000" },
      every: { type: "string", default: "100" },
    },
  });
  const size = Number(values.nodes);
  const nodes = await loopbackCluster(size, 700);
  const swarm = SybilSwarm.open(Number(values.sybils));
  try {
    await until(() => nodes.every((node) => node.activePeers().length >= 3), 20_000, "overlay");
    const victim = nodes[Math.min(3, size - 1)]!;
    await phase(nodes, victim, 5000, Number(values.every), "warm-up");
    const before = await phase(nodes, victim, Number(values.baseline), Number(values.every), "b");
    say(`without attack: ${JSON.stringify(before)}`);
    const flood = swarm.flood(victim.address, Number(values.rate), Number(values.duration));
    const during = await phase(nodes, victim, Number(values.duration), Number(values.every), "a");
    const sent = await flood;
    say(`under attack:   ${JSON.stringify(during)}`);
    const m = victim.stats().engine.membership;
    await finish("eclipse", {
      nodes: size,
      sybils: Number(values.sybils),
      attack_datagrams: sent,
      attack_rate: round(sent / (Number(values.duration) / 1000), 1),
      without: before,
      under_attack: during,
      p99_ratio: round(during.p99_ms / before.p99_ms, 2),
      victim_admissions_refused: m.admissionsRefused ?? 0,
      victim_shuffles_refused: m.shufflesRefused ?? 0,
      victim_evictions: m.evictions ?? 0,
    });
  } finally {
    await swarm.close();
    await Promise.all(nodes.map((node) => node.close()));
  }
}
