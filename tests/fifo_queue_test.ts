import assert from "node:assert/strict";
import { FifoQueue } from "../lib/core/fifo_queue.ts";

Deno.test("FifoQueue hands items out oldest first across compactions", () => {
  const queue = new FifoQueue<number>();
  let next = 0;
  // Interleave pushes and shifts so the consumed prefix is compacted several times.
  for (let i = 0; i < 5000; i++) {
    queue.push(i);
    if (i % 3 !== 0) assert.equal(queue.shift(), next++);
  }
  assert.equal(queue.length, 5000 - next);
  assert.equal(queue.first(), next);
  assert.deepEqual([...queue.values()].slice(0, 3), [next, next + 1, next + 2]);
  while (queue.length > 0) assert.equal(queue.shift(), next++);
  assert.equal(next, 5000);
  assert.equal(queue.shift(), undefined);
  assert.equal(queue.first(), undefined);
});

Deno.test("FifoQueue.at() counts from the oldest and answers undefined outside", () => {
  const queue = new FifoQueue<string>();
  for (const item of ["a", "b", "c", "d"]) queue.push(item);
  queue.shift();
  assert.deepEqual([queue.at(0), queue.at(2)], ["b", "d"]);
  assert.equal(queue.at(3), undefined);
  assert.equal(queue.at(-1), undefined);
});
