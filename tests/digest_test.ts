import assert from "node:assert/strict";
import { RangeIndex, rangesOf } from "../lib/broadcast/digest.ts";

const ids = (origin: number, ...seqs: number[]) => seqs.map((seq) => ({ origin, seq }));

Deno.test("rangesOf() collapses each origin's sequence numbers into runs, in order or not", () => {
  const ranges = rangesOf([...ids(7, 5, 3, 4, 9, 4), ...ids(2, 1, 2), ...ids(7, 10)]);
  assert.deepEqual(ranges, [
    { origin: 7, low: 3, high: 5 },
    { origin: 7, low: 9, high: 10 },
    { origin: 2, low: 1, high: 2 },
  ]);
});

Deno.test("RangeIndex.covers() answers for ids inside and outside the ranges", () => {
  const index = new RangeIndex(rangesOf(ids(7, 1, 2, 3, 8)));
  assert.equal(index.covers(7, 2), true);
  assert.equal(index.covers(7, 8), true);
  assert.equal(index.covers(7, 5), false, "a gap between runs");
  assert.equal(index.covers(6, 2), false, "another origin");
});
