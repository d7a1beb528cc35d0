// Reflection on real sockets: every frame type sent to a GossipNode from an address that never
// proved it receives there gets back no more bytes than it brought (0.1: 934x for a 4-byte
// DIGEST, 2.8x for a JOIN, up to 11.5x for a SHUFFLE).
import assert from "node:assert/strict";
import { GossipNode } from "../lib/node/node.ts";
import { localOptions } from "../lib/presets.ts";
import { UdpTransport } from "../lib/transport/udp_transport.ts";
import { type Frame, FrameType } from "../lib/wire/frame.ts";
import { makeMessageId } from "../lib/wire/message_id.ts";
import { until } from "./until.ts";
import { encodeFrames } from "../lib/core/outbox.ts";

Deno.test("reflection: an unproven address gets back no more bytes than it sent, per frame type", async () => {
  await using a = await GossipNode.start({
    ...localOptions(),
    transport: UdpTransport.listen("127.0.0.1:0"),
    seed: 31,
  });
  await using b = await GossipNode.start({
    ...localOptions(),
    transport: UdpTransport.listen("127.0.0.1:0"),
    seeds: [a.address],
    seed: 32,
  });
  const probe = UdpTransport.listen("127.0.0.1:0");
  try {
    await until(() => a.activePeers().length === 1, 10_000, "a and b are neighbours");
    // Fill the repair cache: what a reflector would push.
    for (let i = 0; i < 50; i++) a.publish(new Uint8Array(400).fill(i));
    await until(() => b.stats().engine.delivered >= 50, 10_000, "b has the 50 messages");
    const peer = { nodeId: 5, address: b.address, age: 0 };
    const origin = a.id;
    const probes: Frame[][] = [
      [{ type: FrameType.Digest, complete: true, ranges: [] }],
      [{ type: FrameType.Digest, complete: true, ranges: [{ origin: 1, low: 1, high: 1 }] }],
      [{ type: FrameType.Join, nodeId: 5, value: 0 }],
      [{ type: FrameType.Shuffle, ttl: 0, origin: peer, peers: [] }],
      [{ type: FrameType.Neighbor, nodeId: 5, value: 1 }],
      [{ type: FrameType.Ping, nodeId: 5, value: 1 }],
      [{ type: FrameType.IWant, ids: [1, 2, 3, 4].map((s) => makeMessageId(origin, s)) }],
      [{ type: FrameType.Graft, ids: [makeMessageId(origin, 5)] }],
      [{ type: FrameType.IHave, entries: [{ id: makeMessageId(9, 1), hops: 1 }] }],
    ];
    let sent = 0;
    const before = a.stats().engine.datagramsIn;
    for (const frames of probes) {
      const bytes = encodeFrames(frames);
      for (let i = 0; i < 3; i++) {
        await probe.send(a.address, bytes);
        sent += bytes.length;
      }
    }
    const expected = before + 3 * probes.length;
    await until(
      () => a.stats().engine.datagramsIn >= expected,
      10_000,
      "a handled every probe",
    );
    const validation = a.stats().engine.validation;
    assert.ok(validation.unvalidatedBytesIn >= sent, "the probes were counted as unproven");
    assert.ok(
      validation.unvalidatedBytesOut <= validation.unvalidatedBytesIn,
      `${validation.unvalidatedBytesOut} bytes sent back for ${validation.unvalidatedBytesIn}`,
    );
    assert.ok(validation.refusedFrames > 0, "the large answers were held back");
    // What the probe socket actually got: drain what has arrived (the node answered within the
    // same flush as each probe, and a's own PING to b went and came back after them).
    let received = 0;
    const reader = (async () => {
      for await (const packet of probe) received += packet.bytes.length;
    })();
    const pingSent = a.stats().engine.datagramsOut;
    await until(() => a.stats().engine.datagramsOut > pingSent + 2, 10_000, "a kept talking to b");
    await probe.close();
    await reader;
    assert.ok(received <= sent, `${received} bytes received by the prober for ${sent} sent`);
  } finally {
    await probe.close();
  }
});
