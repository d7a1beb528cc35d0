import assert from "node:assert/strict";
import { UdpTransport } from "../lib/transport/udp_transport.ts";
import { type Frame, FrameType } from "../lib/wire/frame.ts";
import { loopbackCluster } from "./loopback_cluster.ts";
import { until } from "./until.ts";
import { encodeFrames } from "../lib/core/outbox.ts";

Deno.test("own id: frames carrying the victim's own node id change neither its view nor its delivery", async () => {
  const nodes = await loopbackCluster(6, 900);
  const attackers = Array.from({ length: 5 }, () => UdpTransport.listen("127.0.0.1:0"));
  try {
    await until(
      () => nodes.every((node) => node.activePeers().length >= 3),
      15_000,
      "every node has 3 neighbours",
    );
    const victim = nodes[2]!;
    const before = [...victim.activePeers()].sort();
    const self = victim.id;
    const send = (k: number, frames: Frame[]) =>
      attackers[k % attackers.length]!.send(victim.address, encodeFrames(frames));
    // The issue's attack: FORWARD_JOINs naming the victim's own id at its neighbours' addresses,
    // then JOINs carrying its id; plus PINGs and a SHUFFLE listing it at a neighbour's address.
    for (const [k, neighbour] of before.entries()) {
      const forged = { nodeId: self, address: neighbour, age: 0 };
      await send(k, [{ type: FrameType.ForwardJoin, ttl: 3, origin: forged, peers: [] }]);
      await send(k, [{
        type: FrameType.Shuffle,
        ttl: 1,
        origin: { nodeId: self, address: "0.0.0.0:0", age: 0 },
        peers: [forged],
      }]);
    }
    for (let k = 0; k < 5; k++) {
      await send(k, [{ type: FrameType.Join, nodeId: self, value: 0 }]);
      await send(k, [{ type: FrameType.Ping, nodeId: self, value: 1 }]);
      await send(k, [{ type: FrameType.Neighbor, nodeId: self, value: 1 }]);
    }
    await until(
      () => (victim.stats().engine.membership.ownIdFrames ?? 0) >= 20,
      5_000,
      "the victim saw the own-id frames",
    );
    // Let several probe and shuffle rounds pass: a poisoned node would stop answering its
    // neighbours' PINGs and lose them.
    const rounds = victim.stats().engine.membership.shufflesSent ?? 0;
    await until(
      () => (victim.stats().engine.membership.shufflesSent ?? 0) >= rounds + 4,
      15_000,
      "four shuffle rounds pass",
    );
    // Messages from every other node still reach the victim.
    const got = new Set<string>();
    const stop = victim.onMessage((m) => got.add(new TextDecoder().decode(m.data)));
    for (const [i, node] of nodes.entries()) {
      if (node !== victim) node.publish(new TextEncoder().encode(`after ${i}`));
    }
    await until(() => got.size === nodes.length - 1, 10_000, "every message reaches the victim");
    stop();
    // The view may still grow to its full size while the test runs (it held only 3 of 5 when it
    // started): what the attack must not do is cut a neighbour or bring in anyone but real nodes.
    const after = victim.activePeers();
    assert.ok(before.every((peer) => after.includes(peer)), "no neighbour was lost");
    const honest = new Set(nodes.map((node) => node.address));
    assert.ok(after.every((peer) => honest.has(peer)), "every neighbour is a real node");
    const attackerAddresses = new Set(attackers.map((a) => a.localAddress));
    assert.ok(
      victim.peers().every((address) => !attackerAddresses.has(address)),
      "no forged sender became a peer",
    );
    const neighbours = victim.activePeers();
    for (const node of nodes) {
      if (neighbours.includes(node.address)) {
        assert.ok(node.activePeers().includes(victim.address), "links stay symmetric");
      }
    }
  } finally {
    await Promise.all(attackers.map((a) => a.close()));
    await Promise.all(nodes.map((node) => node.close()));
  }
});
