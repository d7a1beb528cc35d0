import assert from "node:assert/strict";
import { GossipNode } from "../lib/node/node.ts";
import { LossyTransport } from "../lib/transport/lossy_transport.ts";
import { UdpTransport } from "../lib/transport/udp_transport.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { until } from "./until.ts";

interface Cluster {
  nodes: GossipNode[];
  /** Per node: deliveries of each message text. */
  counts: Map<string, number>[];
  close(): Promise<void>;
}

async function startCluster(size: number, lossRate: number): Promise<Cluster> {
  const nodes: GossipNode[] = [];
  const counts: Map<string, number>[] = [];
  const open = (i: number) => {
    const udp = UdpTransport.listen("127.0.0.1:0");
    return lossRate > 0 ? new LossyTransport(udp, { dropRate: lossRate, seed: 100 + i }) : udp;
  };
  for (let i = 0; i < size; i++) {
    const node = await GossipNode.start({
      transport: open(i),
      seeds: i === 0 ? [] : [nodes[0]!.address],
      seed: i + 1,
      antiEntropyIntervalMs: 200,
    });
    const seen = new Map<string, number>();
    node.onMessage((m) => {
      const text = new TextDecoder().decode(m.data);
      seen.set(text, (seen.get(text) ?? 0) + 1);
    });
    nodes.push(node);
    counts.push(seen);
  }
  return {
    nodes,
    counts,
    close: async () => {
      await Promise.all(nodes.map((node) => node.close()));
    },
  };
}

async function publishAndCheck(cluster: Cluster, messages: number, timeoutMs: number) {
  const rng = seededPrng(42);
  const publisher: number[] = [];
  for (let m = 0; m < messages; m++) {
    const from = Math.floor(rng() * cluster.nodes.length);
    publisher.push(from);
    cluster.nodes[from]!.publish(new TextEncoder().encode(`message ${m}`));
  }
  const complete = () =>
    cluster.counts.every((seen, n) =>
      publisher.every((from, m) => from === n || (seen.get(`message ${m}`) ?? 0) >= 1)
    );
  await until(complete, timeoutMs, "every node delivers every message");
  for (const [n, seen] of cluster.counts.entries()) {
    for (let m = 0; m < messages; m++) {
      const expected = publisher[m] === n ? 0 : 1;
      assert.equal(seen.get(`message ${m}`) ?? 0, expected, `node ${n}, message ${m}`);
    }
  }
}

Deno.test("20 UDP nodes on loopback each deliver 100 messages exactly once", async () => {
  const cluster = await startCluster(20, 0);
  try {
    await until(
      () => cluster.nodes.every((node) => node.peers().length >= 3),
      10_000,
      "every node knows some peers",
    );
    await publishAndCheck(cluster, 100, 20_000);
    const engineDelivered = cluster.nodes.reduce((sum, n) => sum + n.stats().engine.delivered, 0);
    assert.equal(
      engineDelivered,
      100 * 19,
      "the engine delivered each message once per other node",
    );
  } finally {
    await cluster.close();
  }
});

Deno.test("a loopback cluster dropping 20% of datagrams still delivers everything", async () => {
  const cluster = await startCluster(12, 0.2);
  try {
    await until(
      () => cluster.nodes.every((node) => node.peers().length >= 2),
      15_000,
      "every node knows some peers despite loss",
    );
    await publishAndCheck(cluster, 40, 30_000);
    const dropped = cluster.nodes.reduce((sum, n) => sum + n.stats().transport.dropped, 0);
    assert.ok(dropped > 0, "the lossy transport really dropped datagrams");
  } finally {
    await cluster.close();
  }
});
