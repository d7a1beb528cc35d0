import assert from "node:assert/strict";
import { seededPrng } from "../lib/core/prng.ts";
import { SamplingView } from "../lib/membership/peer_sampling.ts";
import type { PeerEntry } from "../lib/wire/frame.ts";

const entry = (n: number, age = 0): PeerEntry => ({ nodeId: n, address: `10.0.0.${n}:1`, age });

Deno.test("peer sampling: merge keeps the younger copy and respects the view size", () => {
  const rng = seededPrng(1);
  const view = new SamplingView({ capacity: 4, healing: 0, swap: 0 });
  for (let n = 1; n <= 4; n++) view.add(entry(n, 5), rng);
  view.merge([entry(1, 2), entry(2, 9)], [], rng);
  assert.equal(view.get("10.0.0.1:1")!.age, 2, "younger copy wins");
  assert.equal(view.get("10.0.0.2:1")!.age, 5, "older copy ignored");
  view.merge([entry(5), entry(6), entry(7)], [], rng);
  assert.equal(view.size, 4);
});

Deno.test("peer sampling: healing H drops the oldest entries first", () => {
  const rng = seededPrng(2);
  const view = new SamplingView({ capacity: 4, healing: 2, swap: 0 });
  view.add(entry(1, 50), rng);
  view.add(entry(2, 40), rng);
  view.add(entry(3, 1), rng);
  view.add(entry(4, 1), rng);
  view.merge([entry(5, 0), entry(6, 0)], [], rng);
  assert.equal(view.size, 4);
  assert.ok(!view.has("10.0.0.1:1") && !view.has("10.0.0.2:1"), "the two oldest are gone");
  assert.ok(view.has("10.0.0.5:1") && view.has("10.0.0.6:1"));
});

Deno.test("peer sampling: swap S drops entries just sent before random ones", () => {
  const rng = seededPrng(3);
  const view = new SamplingView({ capacity: 4, healing: 0, swap: 2 });
  for (let n = 1; n <= 4; n++) view.add(entry(n, 1), rng);
  view.merge([entry(5), entry(6)], ["10.0.0.3:1", "10.0.0.4:1"], rng);
  assert.deepEqual([...view.addresses()].sort(), [
    "10.0.0.1:1",
    "10.0.0.2:1",
    "10.0.0.5:1",
    "10.0.0.6:1",
  ]);
});

Deno.test("peer sampling: the buffer puts the H oldest last and skips the partner", () => {
  const rng = seededPrng(4);
  const view = new SamplingView({ capacity: 10, healing: 2, swap: 0 });
  for (let n = 1; n <= 6; n++) view.add(entry(n, n === 5 ? 90 : n === 6 ? 80 : 1), rng);
  for (let round = 0; round < 20; round++) {
    const buffer = view.selectBuffer(rng, 5, "10.0.0.1:1");
    assert.equal(buffer.length, 5);
    assert.ok(buffer.every((e) => e.address !== "10.0.0.1:1"), "partner excluded");
    assert.deepEqual(buffer.slice(3).map((e) => e.nodeId).sort(), [5, 6], "oldest at the end");
  }
  assert.equal(view.oldest()!.nodeId, 5);
  view.increaseAge();
  assert.equal(view.get("10.0.0.1:1")!.age, 2);
});

Deno.test("peer sampling: the address list is stable until the view changes", () => {
  const rng = seededPrng(5);
  const view = new SamplingView({ capacity: 3, healing: 0, swap: 0 });
  view.add(entry(1), rng);
  const list = view.addresses();
  view.increaseAge();
  assert.equal(view.addresses(), list);
  view.add(entry(2), rng);
  assert.notEqual(view.addresses(), list);
});
