import { drivenEngine } from "./driven_engine.ts";
import assert from "node:assert/strict";
import { AddressValidation, COOKIE_PERIOD_MS } from "../lib/engine/address_validation.ts";
import type { Engine } from "../lib/engine/engine.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { type Frame, FrameType } from "../lib/wire/frame.ts";
import { makeMessageId } from "../lib/wire/message_id.ts";
import { encodeFrames } from "../lib/core/outbox.ts";

const attacker = "203.0.113.9:4000";

Deno.test("AddressValidation: an echoed cookie validates; a wrong or stale one does not", () => {
  const v = new AddressValidation(seededPrng(3));
  const now = 5 * COOKIE_PERIOD_MS + 10;
  assert.equal(v.onCookie(true, v.cookie(attacker, now) ^ 1, attacker, now), false);
  assert.equal(v.isValid(attacker), false);
  assert.equal(v.counters.badEchoes, 1);
  v.onCookie(true, v.cookie(attacker, now, 2), attacker, now);
  assert.equal(v.isValid(attacker), false, "two periods old is too old");
  v.onCookie(true, v.cookie(attacker, now, 1), attacker, now);
  assert.equal(v.isValid(attacker), true, "the previous period's cookie still counts");
  assert.notEqual(v.cookie("10.0.0.1:1", now), v.cookie("10.0.0.2:1", now));
});

Deno.test("AddressValidation: replies to a stranger fit in what it sent; contacts are padded", () => {
  const v = new AddressValidation(seededPrng(4));
  const ping: Frame = { type: FrameType.Ping, nodeId: 1, value: 1 };
  assert.deepEqual(v.gate(attacker, [ping], true, 0), [], "no credit, nothing at all");
  v.received(attacker, 11);
  const reply = v.gate(attacker, [ping, ping], true, 0);
  const bytes = encodeFrames(reply).length;
  assert.ok(bytes <= 11, `${bytes} bytes for 11 received`);
  assert.equal(v.counters.refusedFrames, 3, "the challenge took the room; every ping refused");
  const contact = v.gate("198.51.100.1:1", [ping], false, 0);
  assert.equal(encodeFrames(contact).length, 64);
  assert.equal(contact[0]!.type, FrameType.Cookie);
});

/** An engine with full caches and views, as a reflector would find it. */
function loadedEngine(maxDatagramSize: number) {
  const out: { to: string; bytes: Uint8Array }[] = [];
  const engine = drivenEngine({ rng: seededPrng(9), maxDatagramSize }, {
    send: (to, bytes) => out.push({ to, bytes }),
    deliver: () => {},
  });
  engine.start(0);
  const payload = new Uint8Array(Math.min(engine.maxPayloadSize, 1000));
  for (let i = 0; i < 200; i++) engine.publish(payload, i);
  const seeds = Array.from({ length: 40 }, (_, i) => `10.9.${i}.1:7946`);
  engine.addSeeds(seeds, 300);
  out.length = 0;
  return { engine, out };
}

const peer = { nodeId: 77, address: "10.1.1.1:7946", age: 0 };
const own = (seq: number) => makeMessageId(0, seq);

for (const size of [512, 65_507]) {
  Deno.test(`anti-amplification: no frame type from an unproven address gets more back (${size} B)`, () => {
    const probes: Frame[][] = [
      [{ type: FrameType.Digest, complete: true, ranges: [] }],
      [{ type: FrameType.Digest, complete: true, ranges: [{ origin: 1, low: 1, high: 1 }] }],
      [{ type: FrameType.Join, nodeId: 5, value: 0 }],
      [{ type: FrameType.Shuffle, ttl: 0, origin: peer, peers: [] }],
      [{ type: FrameType.Shuffle, ttl: 3, origin: peer, peers: [peer] }],
      [{ type: FrameType.Neighbor, nodeId: 5, value: 1 }],
      [{ type: FrameType.Ping, nodeId: 5, value: 3 }],
      [{ type: FrameType.PingReq, nodeId: 5, value: 3, target: "10.9.1.1:7946" }],
      [{ type: FrameType.ForwardJoin, ttl: 0, origin: peer, peers: [] }],
      [{ type: FrameType.IHave, entries: [{ id: makeMessageId(3, 1), hops: 1 }] }],
      [{ type: FrameType.IWant, ids: [1, 2, 3, 4, 5, 6].map((s) => own(s)) }],
      [{ type: FrameType.Graft, ids: [own(1), own(2)] }],
      [{
        type: FrameType.Data,
        flags: 0,
        id: makeMessageId(4, 1),
        hops: 0,
        payload: new Uint8Array(8),
      }],
      [{ type: FrameType.TreeLink, eager: true, origins: [0] }],
      [{ type: FrameType.Cookie, echo: false, value: 1 }],
    ];
    for (const frames of probes) {
      const { engine, out } = loadedEngine(size);
      // The engine's own origin id is random: aim the pulls at what it really caches.
      const bytes = encodeFrames(
        frames.map((f) =>
          f.type === FrameType.IWant || f.type === FrameType.Graft
            ? { ...f, ids: f.ids.map((id) => makeMessageId(engine.nodeId, Number(id))) }
            : f.type === FrameType.Digest && f.ranges.length > 0
            ? { ...f, ranges: [{ origin: engine.nodeId, low: 1, high: 1 }] }
            : f
        ),
      );
      let received = 0, sent = 0;
      for (let round = 0; round < 5; round++) {
        engine.receive(bytes, attacker, 1000 + round * 1500);
        engine.tick(1000 + round * 1500 + 1);
        received += bytes.length;
        for (const d of out.splice(0)) if (d.to === attacker) sent += d.bytes.length;
      }
      assert.ok(
        sent <= received,
        `frame type ${frames[0]!.type}: ${sent} bytes sent for ${received} received`,
      );
    }
  });
}

Deno.test("anti-amplification: two engines prove their addresses and then talk freely", () => {
  const wire: [string, string, Uint8Array][] = [];
  const got: string[] = [];
  const make = (self: string, seeds: string[]) =>
    drivenEngine({ rng: seededPrng(self.length + self.charCodeAt(7)), seeds }, {
      send: (to, bytes) => wire.push([self, to, bytes]),
      deliver: (m) => got.push(new TextDecoder().decode(m.data)),
    });
  const a = make("10.0.0.1:1", []), b = make("10.0.0.2:1", ["10.0.0.1:1"]);
  const engines: Record<string, Engine> = { "10.0.0.1:1": a, "10.0.0.2:1": b };
  a.start(0);
  b.start(0);
  for (let t = 0; t < 50; t++) {
    while (wire.length) {
      const [from, to, bytes] = wire.shift()!;
      engines[to]!.receive(bytes, from, t);
    }
  }
  assert.equal(a.stats().validation.validAddresses, 1);
  assert.equal(b.stats().validation.validAddresses, 1);
  assert.deepEqual(a.activePeers(), ["10.0.0.2:1"]);
  b.publish(new TextEncoder().encode("x".repeat(400)), 60);
  while (wire.length) {
    const [from, to, bytes] = wire.shift()!;
    engines[to]!.receive(bytes, from, 61);
  }
  assert.deepEqual(got, ["x".repeat(400)]);
});

Deno.test("a FORWARD_JOIN from an unproven address sends nothing to the address it names", () => {
  const { engine, out } = loadedEngine(512);
  const victim = "192.0.2.77:9000";
  const walk = encodeFrames([{
    type: FrameType.ForwardJoin,
    ttl: 0, // a walk at its end: the receiver would ask the named joiner to link
    origin: { nodeId: 4242, address: victim, age: 0 },
    peers: [],
  }]);
  for (let round = 0; round < 5; round++) {
    engine.receive(walk, attacker, 1000 + round * 1500);
    engine.tick(1000 + round * 1500 + 1);
  }
  assert.deepEqual(out.filter((d) => d.to === victim), [], "no NEIGHBOR request to the victim");
  assert.equal(engine.stats().membership.unprovenRefused, 5);
});
