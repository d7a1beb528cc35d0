import assert from "node:assert/strict";
import {
  deliveryCurve,
  markdownTable,
  mean,
  median,
  percentile,
  round,
} from "../bench/bench_stats.ts";

Deno.test("percentile by nearest rank", () => {
  const values = [5, 1, 4, 2, 3];
  assert.equal(median(values), 3);
  assert.equal(percentile(values, 0), 1);
  assert.equal(percentile(values, 100), 5);
  assert.equal(percentile(values, 80), 4);
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(hundred, 99), 99);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.deepEqual(values, [5, 1, 4, 2, 3], "input not sorted in place");
});

Deno.test("mean and round", () => {
  assert.equal(mean([1, 2, 3, 6]), 3);
  assert.ok(Number.isNaN(mean([])));
  assert.equal(round(1.23456, 2), 1.23);
});

Deno.test("deliveryCurve is a monotone CDF ending at the delivered fraction", () => {
  // two messages, 4 nodes expected each; the second reached only 3
  const curve = deliveryCurve([[0, 10, 10, 30], [0, 20, 40]], 4);
  assert.deepEqual(curve[0], [0, 2 / 8]);
  assert.deepEqual(curve[curve.length - 1], [40, 7 / 8]);
  for (let i = 1; i < curve.length; i++) {
    assert.ok(curve[i]![0] >= curve[i - 1]![0]);
    assert.ok(curve[i]![1] >= curve[i - 1]![1]);
  }
  // ties collapse to the highest count: at t=10 both tens are counted
  assert.deepEqual(curve.find((p) => p[0] === 10), [10, 4 / 8]);
});

Deno.test("deliveryCurve samples at most about maxPoints", () => {
  const delays = [Array.from({ length: 10_000 }, (_, i) => i)];
  const curve = deliveryCurve(delays, 10_000, 50);
  assert.ok(curve.length <= 53, `got ${curve.length}`);
  assert.deepEqual(curve[curve.length - 1], [9999, 1]);
  assert.deepEqual(deliveryCurve([], 10), [[0, 0]]);
});

Deno.test("markdownTable pads columns and marks nulls", () => {
  const table = markdownTable(["a", "long"], [[1, null], ["xyz", 2.5]]);
  assert.equal(
    table,
    ["| a   | long |", "| --- | ---- |", "| 1   | —    |", "| xyz | 2.5  |"].join("\n"),
  );
});
