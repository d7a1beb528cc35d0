import assert from "node:assert/strict";
import { DatagramLimits, LIMIT_FLOOR, RETELL_MS } from "../lib/engine/datagram_limits.ts";
import { Outbox } from "../lib/core/outbox.ts";
import { Simulation } from "../lib/sim/simulation.ts";
import type { Frame } from "../lib/wire/frame.ts";
import { FrameType } from "../lib/wire/frame.ts";
import { decodeDatagram } from "../lib/wire/codec.ts";
import { encodeFrames } from "../lib/core/outbox.ts";
import type { MessageId } from "../lib/wire/message_id.ts";

Deno.test("DatagramLimits: untold peers get the floor; claims are clamped and need a proven address", () => {
  const limits = new DatagramLimits(65507, 0, 2);
  assert.equal(limits.limitFor("10.0.0.1:1"), LIMIT_FLOOR);
  limits.onLimit("10.0.0.1:1", 65507, false);
  assert.equal(limits.limitFor("10.0.0.1:1"), LIMIT_FLOOR, "spoofable claim ignored");
  assert.equal(limits.counters.limitsIgnored, 1);
  limits.onLimit("10.0.0.1:1", 65535, true);
  assert.equal(limits.limitFor("10.0.0.1:1"), 65507);
  limits.onLimit("10.0.0.2:1", 100, true);
  assert.equal(limits.limitFor("10.0.0.2:1"), 512, "clamped up to the floor");
  limits.onLimit("10.0.0.3:1", 1400, true); // the table holds 2: the oldest is forgotten
  assert.equal(limits.limitFor("10.0.0.3:1"), 1400);
  assert.equal(limits.limitFor("10.0.0.1:1"), LIMIT_FLOOR);

  const told: [string, Frame][] = [];
  const push = (to: string, frame: Frame) => told.push([to, frame]);
  limits.tell(["10.0.0.2:1"], push, 0);
  limits.tell(["10.0.0.2:1"], push, RETELL_MS - 1);
  assert.deepEqual(told, [["10.0.0.2:1", { type: FrameType.DatagramLimit, size: 65507 }]]);
  limits.tell(["10.0.0.2:1"], push, RETELL_MS);
  assert.equal(told.length, 2);

  // A node at the floor says nothing: a default cluster spends no byte on this.
  const quiet = new DatagramLimits(512, 0, 8);
  quiet.tell(["10.0.0.2:1"], push, 0);
  assert.equal(told.length, 2);
  // Sealed: the engine's share is 30 bytes less, on both sides.
  const sealed = new DatagramLimits(65477, 30, 8);
  assert.equal(sealed.floor, 482);
  sealed.onLimit("10.0.0.4:1", 65507, true);
  assert.equal(sealed.limitFor("10.0.0.4:1"), 65477);
});

Deno.test("DATAGRAM_LIMIT frame round-trips in 3 bytes", () => {
  const datagram = encodeFrames([{ type: FrameType.DatagramLimit, size: 65507 }]);
  assert.equal(datagram.length, 4);
  assert.deepEqual(decodeDatagram(datagram), {
    ok: true,
    frames: [{ type: FrameType.DatagramLimit, size: 65507 }],
  });
});

Deno.test("Outbox packs each destination's datagrams within that destination's limit", () => {
  const out: [string, number][] = [];
  const outbox = new Outbox(
    65507,
    (to, bytes) => out.push([to, bytes.length]),
    undefined,
    (to) => to === "small:1" ? 512 : 65507,
  );
  const frame = { type: FrameType.Data, flags: 0, id: 1n, hops: 0, payload: new Uint8Array(400) };
  for (let i = 0; i < 10; i++) {
    outbox.push("small:1", frame as Frame);
    outbox.push("big:1", frame as Frame);
  }
  outbox.push("small:1", { ...frame, payload: new Uint8Array(600) } as Frame);
  outbox.flush();
  assert.ok(out.filter(([to]) => to === "small:1").every(([, size]) => size <= 512));
  assert.equal(out.filter(([to]) => to === "small:1").length, 10);
  assert.deepEqual(out.filter(([to]) => to === "big:1"), [["big:1", 1 + 10 * 413]]);
  assert.equal(outbox.unencodable, 1, "the frame larger than the small peer's limit is dropped");
});

Deno.test("mixed limits: 512-byte and 65,507-byte nodes all deliver small, medium and 64 KiB messages", () => {
  const nodes = 60;
  const sim = new Simulation({
    nodes,
    seed: 3,
    gossipOf: (i) => ({ maxDatagramSize: i % 2 === 0 ? 65507 : 512 }),
  });
  sim.startAll(1000);
  sim.run(10_000);
  const ids: MessageId[] = [];
  const sizes = [100, 498, 2000, 20_000, 65536, 300, 65536];
  for (const [m, size] of sizes.entries()) {
    const data = new Uint8Array(size).map((_, i) => (i + m) & 0xff);
    ids.push(sim.publish((m * 7) % nodes, data));
    sim.run(sim.now + 10);
  }
  sim.run(sim.now + 30_000, () => ids.every((id) => sim.fullyDelivered(id)));
  for (const [m, id] of ids.entries()) {
    assert.equal(sim.holders(id), nodes, `message ${m} (${sizes[m]} bytes) reached every node`);
  }
  for (let i = 0; i < nodes; i++) {
    const stats = sim.engines[i]!.stats();
    assert.equal(stats.dropped.oversized ?? 0, 0, `node ${i} got no datagram over its limit`);
    if (i % 2 === 0) assert.ok(stats.datagramLimits.limitsTold > 0);
  }
  // Big nodes learned each other's limits (see the engine pair test in chunking_test.ts for
  // what they then send).
  for (let i = 0; i < nodes; i += 2) {
    assert.ok(sim.engines[i]!.stats().datagramLimits.limitsHeard > 0, `node ${i} heard limits`);
  }
  assert.equal(sim.duplicateDeliveries, 0);
});
