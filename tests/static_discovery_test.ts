// Loopback UDP: nodes that know each other only through a static discovery list form one
// overlay, and keep delivering after one of them is killed.
import assert from "node:assert/strict";
import { GossipNode } from "../lib/node/node.ts";
import { staticDiscovery } from "../lib/discovery/discovery.ts";
import { localOptions } from "../lib/presets.ts";
import { until } from "./until.ts";

Deno.test("static discovery: 8 loopback nodes find each other and survive a killed peer", async () => {
  const nodes: GossipNode[] = [];
  const got: Set<string>[] = [];
  const downs: string[][] = [];
  try {
    for (let i = 0; i < 8; i++) {
      // Each node is told only the addresses of those started before it.
      const list = nodes.map((node) => node.address);
      const node = await GossipNode.start({
        ...localOptions(),
        listen: "127.0.0.1:0",
        seed: 500 + i,
        discovery: staticDiscovery(list),
        discoveryIntervalMs: 500,
      });
      const seen = new Set<string>();
      const down: string[] = [];
      node.onMessage((m) => seen.add(new TextDecoder().decode(m.data)));
      node.addEventListener("peer", (event) => {
        const detail = (event as CustomEvent<{ type: string; address: string }>).detail;
        if (detail.type === "down") down.push(detail.address);
      });
      nodes.push(node);
      got.push(seen);
      downs.push(down);
    }
    await until(() => nodes.every((node) => node.activePeers().length >= 1), 20_000, "overlay");

    nodes[0]!.publish(new TextEncoder().encode("before"));
    await until(() => got.slice(1).every((s) => s.has("before")), 10_000, "first delivery");

    const victim = nodes[3]!;
    const victimAddress = victim.address;
    const neighbours = nodes.filter((n) => n !== victim && n.activePeers().includes(victimAddress));
    assert.ok(neighbours.length > 0, "the victim had neighbours");
    await victim.close();
    const survivors = nodes.filter((n) => n !== victim);
    // Its neighbours notice (probe, indirect probes, then down) and replace it.
    await until(
      () => neighbours.every((n) => !n.activePeers().includes(victimAddress)),
      15_000,
      "neighbours drop the killed peer",
    );
    assert.ok(downs.some((list) => list.includes(victimAddress)), "a peer-down event was seen");

    nodes[7]!.publish(new TextEncoder().encode("after"));
    await until(
      () => survivors.every((n) => n === nodes[7] || got[nodes.indexOf(n)]!.has("after")),
      10_000,
      "survivors deliver after the kill",
    );
  } finally {
    await Promise.all(nodes.map((node) => node.close()));
  }
});
