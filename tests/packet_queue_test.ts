import assert from "node:assert/strict";
import { PacketQueue } from "../lib/transport/packet_queue.ts";
import type { Packet } from "../lib/transport/transport.ts";

const packet = (n: number) => ({ bytes: new Uint8Array([n]), from: "127.0.0.1:1" });

Deno.test("PacketQueue yields in order, refuses past capacity, and ends on close", async () => {
  const queue = new PacketQueue(3);
  assert.equal(queue.push(packet(1)), true);
  assert.equal(queue.push(packet(2)), true);
  assert.equal(queue.push(packet(3)), true);
  assert.equal(queue.push(packet(4)), false, "full");
  const it = queue[Symbol.asyncIterator]();
  for (const n of [1, 2, 3]) assert.equal((await it.next()).value!.bytes[0], n);
  assert.equal(queue.push(packet(5)), true, "room again once drained");
  assert.equal((await it.next()).value!.bytes[0], 5);
  const parked = it.next(); // waits for a packet that never comes
  queue.close();
  assert.equal((await parked).done, true, "close ends a waiting reader");
  assert.equal(queue.push(packet(6)), false, "closed");
});

Deno.test("PacketQueue keeps order across its internal compaction", async () => {
  const queue = new PacketQueue(10_000);
  for (let i = 0; i < 5000; i++) queue.push(packet(i % 256));
  queue.close();
  let i = 0;
  for await (const p of queue) {
    assert.equal(p.bytes[0], i % 256);
    i++;
  }
  assert.equal(i, 0, "close drops what was queued");
  const open = new PacketQueue(10_000);
  for (let k = 0; k < 5000; k++) open.push(packet(k % 256));
  const it = open[Symbol.asyncIterator]();
  for (let k = 0; k < 5000; k++) {
    const next = await it.next();
    assert.equal(next.value!.bytes[0], k % 256);
  }
  assert.equal(open.size, 0);
});

Deno.test("PacketQueue.batches() hands over everything queued at once and ends on close", async () => {
  const queue = new PacketQueue(10);
  const sizes: number[] = [];
  const it = queue.batches((size) => sizes.push(size))[Symbol.asyncIterator]();
  queue.push(packet(1));
  queue.push(packet(2));
  queue.push(packet(3));
  const bytesOf = (result: IteratorResult<readonly Packet[]>) =>
    (result.value as readonly Packet[]).map((p) => p.bytes[0]);
  assert.deepEqual(bytesOf(await it.next()), [1, 2, 3]);
  const waiting = it.next(); // nothing queued: waits for the next push
  queue.push(packet(4));
  assert.deepEqual(bytesOf(await waiting), [4]);
  assert.deepEqual(sizes, [3, 1]);
  const parked = it.next();
  queue.close();
  assert.equal((await parked).done, true, "close ends a waiting reader");
});
