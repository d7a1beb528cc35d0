import { drivenEngine } from "./driven_engine.ts";
import assert from "node:assert/strict";
import { DECODE_REASONS, decodeDatagram } from "../lib/wire/codec.ts";
import { DataFlag, type Frame, FrameType, WIRE_VERSION } from "../lib/wire/frame.ts";
import { makeMessageId } from "../lib/wire/message_id.ts";
import { writeAddress } from "../lib/wire/address.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { encodeFrames } from "../lib/core/outbox.ts";

const id = makeMessageId(0xab_cdef_0123, 0x123456);
const peer = { nodeId: 2 ** 40 - 1, address: "192.168.1.20:7946", age: 7 };
const peer6 = { nodeId: 5, address: "[fe80:0:0:0:0:0:0:1]:9000", age: 0 };

const everyFrame: Frame[] = [
  { type: FrameType.Data, flags: DataFlag.Signed, id, hops: 3, payload: new Uint8Array([1, 2, 3]) },
  { type: FrameType.Ack, ids: [id, 1n] },
  { type: FrameType.IHave, entries: [{ id, hops: 4 }] },
  { type: FrameType.IWant, ids: [id] },
  { type: FrameType.Prune },
  { type: FrameType.Graft, ids: [id] },
  { type: FrameType.Digest, complete: true, ranges: [{ origin: 77, low: 1, high: 90 }] },
  { type: FrameType.Join, nodeId: 12345678901, value: 0 },
  { type: FrameType.Peers, ttl: 0, origin: peer, peers: [peer6, peer] },
  { type: FrameType.Shuffle, ttl: 4, origin: peer, peers: [peer] },
  { type: FrameType.ShuffleReply, ttl: 0, origin: peer6, peers: [] },
  { type: FrameType.Ping, nodeId: 9, value: 2 ** 32 - 1 },
  { type: FrameType.Pong, nodeId: 9, value: 17 },
  { type: FrameType.PingReq, nodeId: 9, value: 18, target: "10.1.2.3:65535" },
  { type: FrameType.Neighbor, nodeId: 9, value: 1 },
  { type: FrameType.Disconnect, nodeId: 9, value: 0 },
  { type: FrameType.ForwardJoin, ttl: 6, origin: peer, peers: [] },
  { type: FrameType.NeighborReply, nodeId: 9, value: 1 },
  { type: FrameType.TreeLink, eager: true, origins: [2 ** 40 - 1, 7] },
  { type: FrameType.TreeLink, eager: false, origins: [0] },
  { type: FrameType.Suspicion, kind: 1, nodeId: 2 ** 40 - 1, incarnation: 2 ** 32 - 1, value: 5 },
];

Deno.test("codec: a suspicion frame of an unknown kind is rejected as a bad field", () => {
  const bytes = encodeFrames([
    { type: FrameType.Suspicion, kind: 0, nodeId: 1, incarnation: 0, value: 0 },
  ]);
  bytes[2] = 3;
  assert.deepEqual(decodeDatagram(bytes), { ok: false, reason: "bad_field" });
  assert.deepEqual(decodeDatagram(bytes.subarray(0, 15)), { ok: false, reason: "truncated" });
});

Deno.test("codec round-trips every frame type, alone and packed together", () => {
  for (const frame of everyFrame) {
    const decoded = decodeDatagram(encodeFrames([frame]));
    assert.ok(decoded.ok, `frame type ${frame.type}`);
    assert.deepEqual(decoded.frames, [frame]);
  }
  const all = decodeDatagram(encodeFrames(everyFrame));
  assert.ok(all.ok);
  assert.deepEqual(all.frames, everyFrame);
});

Deno.test("codec: a data frame costs 14 bytes of header in a datagram", () => {
  const payload = new Uint8Array(100);
  const bytes = encodeFrames([{ type: FrameType.Data, flags: 0, id, hops: 0, payload }]);
  assert.equal(bytes.length - payload.length, 14);
  assert.equal(bytes[0], WIRE_VERSION);
});

Deno.test("codec rejects bad datagrams with a reason instead of throwing", () => {
  const good = encodeFrames([everyFrame[0]!]);
  assert.deepEqual(decodeDatagram(new Uint8Array()), { ok: false, reason: "empty" });
  assert.deepEqual(decodeDatagram(good.slice(0, good.length - 1)), {
    ok: false,
    reason: "truncated",
  });
  assert.deepEqual(decodeDatagram(new Uint8Array([9, 1])), { ok: false, reason: "bad_version" });
  assert.deepEqual(decodeDatagram(new Uint8Array([1, 200])), { ok: false, reason: "unknown_type" });
  assert.deepEqual(decodeDatagram(good, good.length - 1), { ok: false, reason: "oversized" });
  const badRange = encodeFrames([everyFrame[6]!]);
  badRange[badRange.length - 6] = 0xff; // low > high
  assert.equal((decodeDatagram(badRange) as { reason: string }).reason, "bad_field");
  const badAddress = encodeFrames([everyFrame[13]!]);
  badAddress[11] = 5; // address family
  assert.equal((decodeDatagram(badAddress) as { reason: string }).reason, "bad_address");
});

Deno.test("engine.receive() takes 100,000 random and mutated datagrams without a throw", () => {
  const rng = seededPrng(42);
  const sent: Uint8Array[] = [];
  const engine = drivenEngine({ rng, maxDatagramSize: 1400 }, {
    send: (_to, bytes) => sent.push(bytes),
    deliver: () => {},
  });
  engine.start(0);
  const valid = everyFrame.map((frame) => encodeFrames([frame]));
  const total = 100_000;
  for (let i = 0; i < total; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = new Uint8Array(Math.floor(rng() * 80));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rng() * 256);
      if (bytes.length > 0 && i % 4 === 0) bytes[0] = WIRE_VERSION;
    } else {
      bytes = valid[i % valid.length]!.slice();
      const flips = 1 + Math.floor(rng() * 3);
      for (let f = 0; f < flips; f++) {
        bytes[Math.floor(rng() * bytes.length)] = Math.floor(rng() * 256);
      }
      if (rng() < 0.3) bytes = bytes.subarray(0, Math.floor(rng() * bytes.length));
    }
    engine.receive(bytes, `10.0.${i % 250}.1:7946`, i);
  }
  const stats = engine.stats();
  assert.equal(stats.datagramsIn, total);
  const decodeDrops = DECODE_REASONS.reduce((n, reason) => n + (stats.dropped[reason] ?? 0), 0);
  assert.ok(decodeDrops > total / 2, `most garbage is rejected (${decodeDrops})`);
  for (const reason of ["empty", "bad_version", "unknown_type", "truncated"]) {
    assert.ok((stats.dropped[reason] ?? 0) > 0, `reason ${reason} counted`);
  }
  // Accepted datagrams plus rejected ones account for every input.
  const accepted = total - decodeDrops;
  assert.ok(stats.framesIn >= accepted);
});

Deno.test("codec: peer addresses encode exactly as writeAddress does, fast path or not", () => {
  const addresses = [
    "10.0.0.1:7946",
    "255.255.255.255:65535",
    "0.0.0.0:0",
    "010.001.1.1:00080",
    "256.1.1.1:80",
    "1.2.3:80",
    "1.2.3.4.5:80",
    "1.2.3.4:",
    "1.2.3.4:65536",
    "1.2.3.4:123456",
    "1.2.3.4",
    "1..3.4:80",
    "1.2.3.4:8a",
    "host.example:80",
    "[::1]:80",
    "[fe80::1]:9000",
  ];
  for (const address of addresses) {
    const expected = new Uint8Array(19);
    const end = writeAddress(address, expected, 0);
    const frame: Frame = {
      type: FrameType.Peers,
      ttl: 0,
      origin: { nodeId: 1, address, age: 0 },
      peers: [],
    };
    if (end < 0) {
      assert.throws(() => encodeFrames([frame]), TypeError, address);
      continue;
    }
    const bytes = encodeFrames([frame]);
    // version, type, ttl, count, node id (5), age, then the address
    assert.deepEqual(bytes.subarray(10, 10 + end), expected.subarray(0, end), address);
  }
});
