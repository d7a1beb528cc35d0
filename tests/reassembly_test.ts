import { drivenEngine } from "./driven_engine.ts";
import assert from "node:assert/strict";
import { splitMessage } from "../lib/broadcast/chunking.ts";
import {
  CHUNK_COST,
  PARTIAL_COST,
  PULL_IDS,
  PULLING,
  Reassembly,
} from "../lib/broadcast/reassembly.ts";
import type { Delivery } from "../lib/core/context.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { writeChunkHeader } from "../lib/wire/chunk_header.ts";
import { encodeFrames } from "../lib/core/outbox.ts";
import { DataFlag, FrameType } from "../lib/wire/frame.ts";
import { makeMessageId } from "../lib/wire/message_id.ts";

function chunkDelivery(origin: number, seq: number, payload: Uint8Array): Delivery {
  return {
    id: makeMessageId(origin, seq),
    origin,
    hops: 1,
    flags: DataFlag.Chunk,
    data: payload,
    from: "10.0.0.1:1",
  };
}

function fakeChunk(index: number, count: number, size: number): Uint8Array {
  const payload = new Uint8Array(4 + size);
  writeChunkHeader(payload, index, count);
  return payload;
}

Deno.test("Reassembly hands a message over once, whatever order its chunks come in", () => {
  const buffer = new Reassembly({
    maxBytes: 1 << 20,
    timeoutMs: 1000,
    maxMessageSize: 65536,
    pullAfterMs: 300,
  });
  const data = new Uint8Array(5000).map((_, i) => i % 251);
  const chunks = splitMessage(data, 494);
  const order = chunks.map((_, i) => i).reverse();
  let whole: Delivery | undefined;
  for (const [n, i] of order.entries()) {
    const out = buffer.add(chunkDelivery(9, 100 + i, chunks[i]!), 0);
    if (n < order.length - 1) assert.equal(out, undefined);
    else whole = out;
  }
  assert.ok(whole);
  assert.deepEqual(whole.data, data);
  assert.equal(whole.id, makeMessageId(9, 100 + chunks.length - 1));
  assert.equal(whole.flags, 0);
  assert.equal(buffer.size, 0);
  assert.equal(buffer.bytes, 0);
  assert.equal(buffer.counters.assembled, 1);
});

Deno.test("Reassembly drops partial messages after the timeout and counts them", () => {
  const buffer = new Reassembly({
    maxBytes: 1 << 20,
    timeoutMs: 1000,
    maxMessageSize: 65536,
    pullAfterMs: 300,
  });
  buffer.add(chunkDelivery(9, 1, fakeChunk(0, 3, 100)), 0);
  buffer.add(chunkDelivery(8, 1, fakeChunk(0, 3, 100)), 500);
  assert.equal(buffer.nextExpiry(), 1000);
  buffer.expire(999);
  assert.equal(buffer.size, 2);
  buffer.expire(1000);
  assert.equal(buffer.size, 1);
  assert.equal(buffer.counters.expired, 1);
  buffer.expire(1500);
  assert.equal(buffer.size, 0);
  assert.equal(buffer.bytes, 0);
  assert.equal(buffer.nextExpiry(), Infinity);
});

Deno.test("a chunk flood of fake partial messages stays within the byte bound, counted", () => {
  const maxBytes = 256 * 1024;
  const buffer = new Reassembly({
    maxBytes,
    timeoutMs: 60_000,
    maxMessageSize: 65536,
    pullAfterMs: 300,
  });
  const rng = seededPrng(7);
  let peak = 0;
  for (let i = 0; i < 20_000; i++) {
    const origin = Math.floor(rng() * 2 ** 40);
    const index = Math.floor(rng() * 1000);
    buffer.add(chunkDelivery(origin, 5000 + index, fakeChunk(index, 65535, 480)), i);
    peak = Math.max(peak, buffer.bytes);
    assert.ok(buffer.bytes <= maxBytes, `over the bound after ${i} chunks: ${buffer.bytes}`);
  }
  const perPartial = PARTIAL_COST + CHUNK_COST + 480;
  assert.ok(peak > maxBytes - perPartial, "the flood filled the buffer to its bound");
  assert.equal(buffer.counters.evicted, 20_000 - buffer.size);
  assert.equal(buffer.size, Math.floor(maxBytes / perPartial));
  assert.equal(buffer.counters.assembled, 0);

  // One forged message of tiny chunks cannot take more than half the buffer.
  const small = new Reassembly({
    maxBytes,
    timeoutMs: 60_000,
    maxMessageSize: 65536,
    pullAfterMs: 300,
  });
  for (let i = 0; i < 5000; i++) small.add(chunkDelivery(3, 1 + i, fakeChunk(i, 60000, 1)), 0);
  assert.ok(small.bytes <= maxBytes / 2);
  assert.ok(small.counters.tooLarge >= 1);
});

Deno.test("an engine flooded with forged chunks by a neighbour keeps its buffer bounded and still reassembles a real message", () => {
  const maxBytes = 256 * 1024;
  const deliveries: Delivery[] = [];
  const victim = drivenEngine({ rng: seededPrng(11), reassemblyMaxBytes: maxBytes }, {
    send: () => {},
    deliver: (m) => deliveries.push(m),
  });
  victim.start(0);
  const attacker = "10.0.0.66:1";
  const rng = seededPrng(12);
  for (let i = 0; i < 5000; i++) {
    const index = Math.floor(rng() * 1000);
    const origin = 1 + Math.floor(rng() * (2 ** 40 - 1));
    const datagram = encodeFrames([{
      type: FrameType.Data,
      flags: DataFlag.Chunk,
      id: makeMessageId(origin, 5000 + index),
      hops: 0,
      payload: fakeChunk(index, 65535, 480),
    }], 512);
    victim.receive(datagram, attacker, i);
    assert.ok(victim.stats().chunks.partialBytes <= maxBytes);
  }
  const flooded = victim.stats();
  assert.equal(flooded.chunks.chunksIn, 5000);
  assert.ok(flooded.chunks.evicted > 4000, `evicted ${flooded.chunks.evicted}`);
  assert.equal(flooded.delivered, 0);
  assert.ok(flooded.cacheBytes <= 8 * 1024 * 1024);

  // A real 64 KiB message, its chunks mixed into more flood, still gets through.
  const data = new Uint8Array(65536).map((_, i) => (i * 7) & 0xff);
  const chunks = splitMessage(data, 494);
  for (const [i, payload] of chunks.entries()) {
    const frame = {
      type: FrameType.Data,
      flags: DataFlag.Chunk,
      id: makeMessageId(42, 1 + i),
      hops: 0,
      payload,
    } as const;
    victim.receive(encodeFrames([frame], 512), "10.0.0.2:1", 6000 + i);
    const index = Math.floor(rng() * 1000);
    const forged = {
      ...frame,
      id: makeMessageId(7 + i, 5000 + index),
      payload: fakeChunk(index, 65535, 480),
    };
    victim.receive(encodeFrames([forged], 512), attacker, 6000 + i);
  }
  assert.equal(deliveries.length, 1);
  assert.deepEqual(deliveries[0]!.data, data);
  assert.ok(victim.stats().chunks.partialBytes <= maxBytes);
});

Deno.test("a partial message that stops progressing pulls its missing chunks, bounded under a flood", () => {
  const buffer = new Reassembly({
    maxBytes: 1 << 22,
    timeoutMs: 60_000,
    maxMessageSize: 65536,
    pullAfterMs: 300,
  });
  buffer.add(chunkDelivery(9, 10, fakeChunk(0, 4, 100)), 0);
  buffer.add(chunkDelivery(9, 12, fakeChunk(2, 4, 100)), 10);
  const pulls: [string, bigint[]][] = [];
  assert.equal(buffer.pull(309, (to, ids) => pulls.push([to, ids])), 310);
  assert.equal(pulls.length, 0, "not before pullAfterMs without progress");
  // Each unanswered round doubles the wait before the next (an overloaded network is not pulled
  // harder); progress resets it.
  assert.equal(buffer.pull(310, (to, ids) => pulls.push([to, ids])), 310 + 600);
  assert.deepEqual(pulls, [["10.0.0.1:1", [makeMessageId(9, 11), makeMessageId(9, 13)]]]);
  assert.equal(buffer.counters.chunksPulled, 2);
  assert.equal(buffer.pull(910, () => {}), 910 + 1200);
  buffer.add(chunkDelivery(9, 11, fakeChunk(1, 4, 100)), 950);
  assert.equal(buffer.nextPull(), 950 + 300);

  // 1,000 forged partial messages: only the PULLING that progressed last ask for anything, and
  // each for at most PULL_IDS ids.
  for (let i = 0; i < 1000; i++) {
    buffer.add(chunkDelivery(100 + i, 1, fakeChunk(0, 60000, 10)), 1000);
  }
  let asked = 0, partials = 0;
  buffer.pull(1300, (_to, ids) => {
    partials++;
    asked += ids.length;
  });
  assert.equal(partials, PULLING);
  assert.equal(asked, PULLING * PULL_IDS);
});
