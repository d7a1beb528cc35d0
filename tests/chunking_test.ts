import { drivenEngine } from "./driven_engine.ts";
import assert from "node:assert/strict";
import { chunkDataSize, MAX_CHUNKS, splitMessage } from "../lib/broadcast/chunking.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { GossipError } from "../lib/errors.ts";
import type { Delivery } from "../lib/core/context.ts";
import { CHUNK_HEADER, readChunkHeader, validChunk } from "../lib/wire/chunk_header.ts";
import { decodeDatagram } from "../lib/wire/codec.ts";
import { encodeFrames } from "../lib/core/outbox.ts";
import { DataFlag, FrameType } from "../lib/wire/frame.ts";
import { makeMessageId, originOf, seqOf } from "../lib/wire/message_id.ts";

Deno.test("splitMessage() cuts a message into equal chunks with index and count", () => {
  const data = new Uint8Array(1000).map((_, i) => i & 0xff);
  const chunks = splitMessage(data, 400);
  assert.deepEqual(chunks.map((c) => c.length), [404, 404, 204]);
  assert.deepEqual(chunks.map(readChunkHeader), [
    { index: 0, count: 3 },
    { index: 1, count: 3 },
    { index: 2, count: 3 },
  ]);
  const joined = new Uint8Array(chunks.flatMap((c) => [...c.subarray(CHUNK_HEADER)]));
  assert.deepEqual(joined, data);
  assert.equal(chunkDataSize(512), 494);
  assert.throws(
    () => splitMessage(new Uint8Array(MAX_CHUNKS + 1), 1),
    (e: unknown) => e instanceof GossipError && e.code === "payload_too_large",
  );
});

Deno.test("the decoder rejects inconsistent chunk headers as bad_field", () => {
  const chunk = (flags: number, seq: number, header: number[]) =>
    encodeFrames([{
      type: FrameType.Data,
      flags,
      id: makeMessageId(7, seq),
      hops: 0,
      payload: new Uint8Array([...header, 1, 2, 3]),
    }]);
  assert.equal(decodeDatagram(chunk(DataFlag.Chunk, 5, [0, 1, 0, 3])).ok, true);
  const bad = [
    chunk(DataFlag.Chunk, 5, [0, 3, 0, 3]), // index = count
    chunk(DataFlag.Chunk, 5, [0, 0, 0, 1]), // a message of one chunk
    chunk(DataFlag.Chunk | DataFlag.Beacon, 5, [0, 1, 0, 3]), // a beacon never has chunks
    chunk(DataFlag.Chunk, 1, [0, 1, 0, 3]), // first sequence number would be 0
    chunk(DataFlag.Chunk, 2 ** 24 - 1, [0, 0, 0, 3]), // past the last sequence number
    chunk(32, 5, [0, 1, 0, 3]), // unknown flag
  ];
  for (const datagram of bad) {
    assert.deepEqual(decodeDatagram(datagram), { ok: false, reason: "bad_field" });
  }
  assert.equal(validChunk(DataFlag.Chunk, makeMessageId(7, 5), new Uint8Array(4)), false);
});

/** Two engines wired back to back; returns what each delivered and the datagrams exchanged. */
function pair(limits: [number, number] = [512, 512], ordered = false) {
  const wire: [number, number, Uint8Array][] = [];
  const got: Delivery[][] = [[], []];
  const addresses = ["10.0.0.1:1", "10.0.0.2:1"];
  const engines = limits.map((maxDatagramSize, i) =>
    drivenEngine({
      rng: seededPrng(i + 1),
      seeds: i === 0 ? [] : [addresses[0]!],
      maxDatagramSize,
      ordered,
    }, {
      send: (to, bytes) => wire.push([i, addresses.indexOf(to), bytes]),
      deliver: (m) => got[i]!.push(m),
    })
  );
  const sizes: number[][] = [[], []];
  const datagrams: Uint8Array[] = [];
  let now = 0;
  const pump = (ms = 2000) => {
    const end = now + ms;
    while (now < end) {
      while (wire.length) {
        const [from, to, bytes] = wire.shift()!;
        sizes[to]!.push(bytes.length);
        datagrams.push(bytes);
        engines[to]!.receive(bytes, addresses[from]!, now);
      }
      now += 5;
      for (const engine of engines) if (engine.deadline() <= now) engine.tick(now);
    }
  };
  engines.forEach((e) => e.start(0));
  pump();
  return { engines, got, sizes, datagrams, pump, now: () => now };
}

Deno.test("a 64 KiB message arrives whole, once, under the id publish() returned", () => {
  const { engines, got, pump, now } = pair();
  const data = new Uint8Array(65536).map((_, i) => (i * 13) & 0xff);
  const id = engines[0]!.publish(data, now());
  pump();
  assert.equal(got[1]!.length, 1);
  const message = got[1]![0]!;
  assert.equal(message.id, id);
  assert.equal(message.flags & DataFlag.Chunk, 0);
  assert.deepEqual(message.data, data);
  // 133 chunks took 133 sequence numbers: the next message's id follows them.
  assert.equal(seqOf(id), 133);
  assert.equal(originOf(engines[0]!.nextMessageId()), originOf(id));
  const stats = engines[1]!.stats();
  assert.equal(stats.chunks.assembled, 1);
  assert.equal(stats.chunks.partialMessages, 0);
  assert.equal(stats.delivered, 1);
  assert.equal(engines[0]!.stats().published, 1);
});

Deno.test("a message that fits one datagram keeps its 14-byte header and one data frame", () => {
  const { engines, got, pump, now, datagrams } = pair();
  datagrams.length = 0;
  engines[0]!.publish(new Uint8Array(498).fill(7), now());
  pump(50);
  const data = datagrams.filter((d) => decodeDatagram(d).ok && d[1] === FrameType.Data);
  assert.equal(data.length, 1);
  assert.equal(data[0]!.length, 512); // 1 version byte + 13 of data frame header + 498
  const decoded = decodeDatagram(data[0]!);
  assert.ok(decoded.ok);
  const frame = decoded.frames[0]!;
  assert.ok(frame.type === FrameType.Data);
  assert.equal(
    frame.flags & ~DataFlag.Reroot,
    0,
    "no Chunk flag (its first message claims the anchor role)",
  );
  assert.equal(frame.payload.length, 498);
  assert.equal(got[1]!.length, 1);
  assert.equal(seqOf(engines[0]!.nextMessageId()), 2);
});

Deno.test("chunks pack into large datagrams for a large peer and stay within 512 for a small one", () => {
  const data = new Uint8Array(65536).map((_, i) => (i * 5) & 0xff);
  const big = pair([65507, 65507]);
  big.sizes[1]!.length = 0;
  big.engines[0]!.publish(data, big.now());
  big.pump(100);
  assert.deepEqual(big.got[1]![0]!.data, data);
  assert.ok(big.sizes[1]!.length <= 6, `${big.sizes[1]!.length} datagrams for 64 KiB`);
  assert.ok(Math.max(...big.sizes[1]!) > 60_000);

  const mixed = pair([65507, 512]);
  mixed.sizes[1]!.length = 0;
  mixed.engines[0]!.publish(data, mixed.now());
  mixed.pump(100);
  assert.deepEqual(mixed.got[1]![0]!.data, data);
  assert.ok(Math.max(...mixed.sizes[1]!) <= 512);
  assert.equal(mixed.engines[1]!.stats().dropped.oversized ?? 0, 0);
  // And back: the small node's message reaches the large one.
  mixed.engines[1]!.publish(data, mixed.now());
  mixed.pump(100);
  assert.deepEqual(mixed.got[0]![0]!.data, data);
});

Deno.test("with ordered delivery, a chunked message takes its place among small ones", () => {
  const { engines, got, pump, now } = pair([512, 512], true);
  const big = new Uint8Array(10_000).fill(2);
  engines[0]!.publish(new Uint8Array([1]), now());
  engines[0]!.publish(big, now());
  engines[0]!.publish(new Uint8Array([3]), now());
  pump();
  assert.deepEqual(got[1]!.map((m) => m.data[0]), [1, 2, 3]);
  assert.deepEqual(got[1]![1]!.data, big);
  assert.equal(engines[1]!.stats().orderSkipped, 0);
});

Deno.test("publish() refuses the Chunk flag from the application", () => {
  const { engines, now } = pair();
  assert.throws(
    () => engines[0]!.publish(new Uint8Array(10), now(), DataFlag.Chunk),
    (e: unknown) => e instanceof GossipError && e.code === "invalid_argument",
  );
});
