import assert from "node:assert/strict";
import type { GossipNode } from "../lib/node/node.ts";
import { loopbackCluster } from "./loopback_cluster.ts";
import { SybilSwarm } from "./sybil_swarm.ts";
import { until } from "./until.ts";

const honestCluster = (size: number) => loopbackCluster(size, 500);

/** Publishes `count` messages from rotating nodes and waits until `at` has them all. */
async function deliverAll(nodes: GossipNode[], at: GossipNode, count: number, tag: string) {
  const got = new Set<string>();
  const stop = at.onMessage((m) => got.add(new TextDecoder().decode(m.data)));
  try {
    for (let m = 0; m < count; m++) {
      const from = nodes.filter((node) => node !== at)[m % (nodes.length - 1)]!;
      from.publish(new TextEncoder().encode(`${tag} ${m}`));
      await until(() => got.has(`${tag} ${m}`), 10_000, `${tag} ${m} reaches the victim`);
    }
  } finally {
    stop();
  }
  return got.size;
}

Deno.test("eclipse: a Sybil flood of JOIN, NEIGHBOR and SHUFFLE leaves the victim >= 3 honest neighbours and full delivery", async () => {
  const nodes = await honestCluster(8);
  const swarm = SybilSwarm.open(100);
  try {
    await until(
      () => nodes.every((node) => node.activePeers().length >= 3),
      15_000,
      "every honest node has 3 neighbours",
    );
    const victim = nodes[3]!;
    const honest = new Set(nodes.map((node) => node.address));
    // Messages make the honest neighbours useful; anchors must also have lasted 5 probe
    // intervals (2.5 s with the local preset), so the warm-up traffic runs that long.
    const warmStart = performance.now();
    for (let round = 0; performance.now() - warmStart < 3000; round++) {
      await deliverAll(nodes, victim, 7, `warm-up ${round}`);
    }
    const honestNeighbours = () => victim.activePeers().filter((a) => honest.has(a)).length;
    assert.ok(honestNeighbours() >= 3);

    let fewest = Infinity;
    const watching = setInterval(() => fewest = Math.min(fewest, honestNeighbours()), 20);
    const flood = swarm.flood(victim.address, 500, 4000);
    const delivered = await deliverAll(nodes, victim, 20, "under attack");
    const sent = await flood;
    clearInterval(watching);
    fewest = Math.min(fewest, honestNeighbours());

    assert.equal(delivered, 20, "every honest message reached the victim during the attack");
    assert.ok(fewest >= 3, `the victim kept >= 3 honest neighbours (fewest ${fewest})`);
    assert.ok(sent >= 1500, `the swarm really flooded (${sent} datagrams)`);
    const membership = victim.stats().engine.membership;
    assert.ok((membership.admissionsRefused ?? 0) > 0, "admission control refused Sybils");
  } finally {
    await swarm.close();
    await Promise.all(nodes.map((node) => node.close()));
  }
});
