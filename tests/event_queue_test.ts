import assert from "node:assert/strict";
import { EventQueue } from "../lib/sim/event_queue.ts";
import { seededPrng } from "../lib/core/prng.ts";

Deno.test("event queue pops in time order, ties in insertion order, across growth", () => {
  const queue = new EventQueue<string>();
  const rng = seededPrng(3);
  const pushed: { at: number; n: number }[] = [];
  // 5,000 events on 50 distinct times: many ties, and several doublings of the typed arrays.
  for (let n = 0; n < 5000; n++) {
    const at = Math.floor(rng() * 50);
    pushed.push({ at, n });
    queue.push(at, n, -1 - n, `event ${n}`);
  }
  assert.equal(queue.size, 5000);
  const expected = [...pushed].sort((x, y) => x.at - y.at || x.n - y.n);
  for (const { at, n } of expected) {
    assert.equal(queue.peekTime(), at);
    assert.equal(queue.pop(), at);
    assert.equal(queue.a, n);
    assert.equal(queue.b, -1 - n);
    assert.equal(queue.ref, `event ${n}`);
  }
  assert.equal(queue.size, 0);
  assert.equal(queue.peekTime(), Infinity);
  assert.equal(queue.pop(), Infinity);
});

Deno.test("event queue recycles slots: interleaved pushes and pops keep their payloads", () => {
  const queue = new EventQueue<number[]>();
  const rng = seededPrng(8);
  let now = 0;
  const live = new Map<number, number>(); // id -> at
  let next = 0;
  for (let step = 0; step < 20_000; step++) {
    if (live.size === 0 || rng() < 0.55) {
      const at = now + rng() * 100;
      live.set(next, at);
      queue.push(at, next, 0, [next]);
      next++;
    } else {
      const at = queue.pop();
      assert.ok(at >= now, "time never goes back");
      now = at;
      assert.equal(live.get(queue.a), at);
      assert.deepEqual(queue.ref, [queue.a]);
      live.delete(queue.a);
    }
  }
  assert.equal(queue.size, live.size);
});
