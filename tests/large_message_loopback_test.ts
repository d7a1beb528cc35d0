import assert from "node:assert/strict";
import type { GossipNode } from "../lib/node/node.ts";
import { loopbackCluster } from "./loopback_cluster.ts";
import { until } from "./until.ts";

/** Per node, the deliveries of each message (by its first byte, then its length). */
function record(nodes: GossipNode[]): Map<string, number>[] {
  return nodes.map((node) => {
    const seen = new Map<string, number>();
    node.onMessage((m) => {
      const key = `${m.data[0]}/${m.data.length}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    });
    return seen;
  });
}

function message(tag: number, size: number): Uint8Array {
  const data = new Uint8Array(size).map((_, i) => (i * 7 + tag) & 0xff);
  data[0] = tag;
  return data;
}

async function deliverAll(
  nodes: GossipNode[],
  sends: { from: number; data: Uint8Array }[],
  timeoutMs: number,
) {
  const seen = record(nodes);
  await until(
    () => nodes.every((n) => n.peers().length >= 2),
    20_000,
    "every node has neighbours",
  );
  // A message published while a node's join window is open, and that reaches it only by repair
  // (a chunk lost on a loaded machine), is history to it (history: "none"): wait for the windows.
  await until(
    () => nodes.every((n) => n.stats().engine.broadcast.pendingJoinWindow === 0),
    20_000,
    "every join window closed",
  );
  for (const { from, data } of sends) nodes[from]!.publish(data);
  const want = sends.map(({ data }) => `${data[0]}/${data.length}`);
  const complete = () =>
    seen.every((got, n) => sends.every(({ from }, k) => from === n || got.get(want[k]!) === 1));
  await until(complete, timeoutMs, "every node delivers every message once");
  for (const [n, got] of seen.entries()) {
    for (const [k, { from }] of sends.entries()) {
      if (from !== n) assert.equal(got.get(want[k]!), 1, `node ${n}, message ${k}`);
    }
  }
}

Deno.test("a 64 KiB message reaches all of 32 loopback nodes once, as chunks", async () => {
  const nodes = await loopbackCluster(32, 700);
  try {
    await deliverAll(nodes, [{ from: 5, data: message(1, 65536) }], 30_000);
    const chunks = nodes.map((n) => n.stats().engine.chunks);
    assert.equal(chunks.filter((c) => c.assembled === 1).length, 31);
  } finally {
    await Promise.all(nodes.map((node) => node.close()));
  }
});

Deno.test("mixed limits on loopback: 512-byte and 65,507-byte nodes get every message", async () => {
  const nodes = await loopbackCluster(12, 800, (i) => ({
    maxDatagramSize: i % 2 === 0 ? 65507 : 512,
  }));
  try {
    await deliverAll(nodes, [
      { from: 0, data: message(1, 300) },
      { from: 1, data: message(2, 300) },
      { from: 2, data: message(3, 3000) },
      { from: 3, data: message(4, 65536) },
      { from: 4, data: message(5, 65536) },
    ], 30_000);
    for (const [i, node] of nodes.entries()) {
      assert.equal(node.stats().engine.dropped.oversized ?? 0, 0, `node ${i}: nothing oversized`);
    }
  } finally {
    await Promise.all(nodes.map((node) => node.close()));
  }
});
