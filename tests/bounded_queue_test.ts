import assert from "node:assert/strict";
import { BoundedQueue } from "../lib/bounded_queue.ts";
import type { Packet } from "../lib/transport/transport.ts";

const packet = (n: number) => ({ bytes: new Uint8Array([n]), from: "127.0.0.1:1" });

Deno.test("BoundedQueue yields in order, refuses past capacity, and ends on close", async () => {
  const queue = new BoundedQueue<Packet>(3, "refuse-newest");
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

Deno.test("BoundedQueue keeps order across its internal compaction", async () => {
  const queue = new BoundedQueue<Packet>(10_000, "refuse-newest");
  for (let i = 0; i < 5000; i++) queue.push(packet(i % 256));
  queue.close();
  let i = 0;
  for await (const p of queue) {
    assert.equal(p.bytes[0], i % 256);
    i++;
  }
  assert.equal(i, 0, "close drops what was queued");
  const open = new BoundedQueue<Packet>(10_000, "refuse-newest");
  for (let k = 0; k < 5000; k++) open.push(packet(k % 256));
  const it = open[Symbol.asyncIterator]();
  for (let k = 0; k < 5000; k++) {
    const next = await it.next();
    assert.equal(next.value!.bytes[0], k % 256);
  }
  assert.equal(open.size, 0);
});

Deno.test("BoundedQueue.batches() hands over everything queued at once and ends on close", async () => {
  const queue = new BoundedQueue<Packet>(10, "refuse-newest");
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

Deno.test('BoundedQueue "drop-oldest" keeps the newest capacity items and reports each loss', async () => {
  const queue = new BoundedQueue<number>(3, "drop-oldest");
  const kept = [1, 2, 3, 4, 5].map((n) => queue.push(n));
  assert.deepEqual(kept, [true, true, true, false, false]);
  assert.equal(queue.size, 3);
  assert.deepEqual(await queue.nextBatch(), [3, 4, 5]);
  for (let n = 0; n < 5000; n++) queue.push(n); // many drops: compaction must keep order
  assert.deepEqual(await queue.nextBatch(), [4997, 4998, 4999]);
});

Deno.test("BoundedQueue: leaving a for-await loop closes it; reader() leaves it open", async () => {
  let closedWith: BoundedQueue<number> | undefined;
  const queue = new BoundedQueue<number>(10, "drop-oldest", (q) => (closedWith = q));
  queue.push(1);
  queue.push(2);
  for await (const n of queue.reader()) {
    assert.equal(n, 1);
    break;
  }
  assert.equal(queue.closed, false, "reader() does not close");
  for await (const n of queue) {
    assert.equal(n, 2);
    break;
  }
  assert.equal(queue.closed, true, "leaving the queue's own loop closes it");
  assert.equal(closedWith, queue, "onClose is told");
  assert.equal(queue.push(3), false, "a closed queue takes nothing");
  assert.deepEqual(await queue.nextBatch(), [], "an empty batch means closed");
});

Deno.test("BoundedQueue.nextBatch() takes one synchronous burst as one batch", async () => {
  const queue = new BoundedQueue<number>(10, "drop-oldest");
  const waiting = queue.nextBatch();
  queue.push(1);
  queue.push(2);
  queue.push(3);
  assert.deepEqual(await waiting, [1, 2, 3]);
});
