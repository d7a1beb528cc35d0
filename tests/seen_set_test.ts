import assert from "node:assert/strict";
import { MAX_RUNS, RUN_WINDOW, SeenSet } from "../lib/broadcast/seen_set.ts";
import { makeMessageId } from "../lib/wire/message_id.ts";

Deno.test("SeenSet.add() reports first sight once", () => {
  const seen = new SeenSet(16);
  assert.equal(seen.add(5n), true);
  assert.equal(seen.add(5n), false);
  assert.equal(seen.has(5n), true);
});

Deno.test("SeenSet stays within capacity and still refuses forgotten ids through the floor", () => {
  const seen = new SeenSet(16);
  for (let seq = 1; seq <= 100; seq++) seen.add(makeMessageId(42, seq));
  assert.equal(seen.size, 16);
  assert.equal(seen.evictions, 84);
  assert.equal(seen.has(makeMessageId(42, 3)), true, "forgotten but under the floor");
  assert.equal(seen.add(makeMessageId(42, 3)), false, "a replay is not new");
  assert.equal(seen.has(makeMessageId(43, 3)), false, "other origins are unaffected");
});

Deno.test("SeenSet: one forged far-ahead id, once forgotten, does not silence its origin", () => {
  const seen = new SeenSet(100);
  const origin = 7;
  for (let seq = 1; seq <= 10; seq++) seen.add(makeMessageId(origin, seq));
  seen.add(makeMessageId(origin, 2 ** 24 - 1));
  // A flood of random ids pushes the forged one (and the genuine ones) out of the set.
  for (let i = 0; i < 500; i++) seen.add(makeMessageId(1000 + i, 1));
  assert.equal(seen.has(makeMessageId(origin, 2 ** 24 - 1)), true, "the forged id stays refused");
  assert.equal(seen.has(makeMessageId(origin, 5)), true, "forgotten genuine ids stay refused");
  for (let seq = 11; seq <= 20; seq++) {
    assert.equal(seen.add(makeMessageId(origin, seq)), true, `later genuine id ${seq} is new`);
  }
});

Deno.test("SeenSet: an id missed before a forgotten run is still accepted by a late repair", () => {
  const seen = new SeenSet(4);
  for (let seq = 2; seq <= 20; seq++) seen.add(makeMessageId(9, seq));
  assert.equal(seen.has(makeMessageId(9, 10)), true);
  assert.equal(seen.has(makeMessageId(9, 1)), false, "never seen, below the run");
  assert.equal(seen.add(makeMessageId(9, 1)), true);
});

Deno.test("SeenSet keeps at most MAX_RUNS runs per origin and drops the thinnest", () => {
  const seen = new SeenSet(1);
  for (let seq = 1; seq <= 50; seq++) seen.add(makeMessageId(3, seq));
  // Far-apart forged singletons, each forgotten in turn.
  for (let k = 1; k <= MAX_RUNS + 2; k++) seen.add(makeMessageId(3, k * 10 * RUN_WINDOW));
  seen.add(makeMessageId(4, 1));
  assert.equal(seen.has(makeMessageId(3, 25)), true, "the dense genuine run survives");
  assert.equal(seen.runsForgotten, 3, "singletons beyond the bound were dropped and counted");
  assert.equal(seen.has(makeMessageId(3, 10 * RUN_WINDOW + 1)), false);
});

Deno.test("SeenSet bounds its origins and counts the runs it forgets", () => {
  const seen = new SeenSet(1, 8);
  for (let origin = 1; origin <= 20; origin++) seen.add(makeMessageId(origin, 1));
  assert.equal(seen.has(makeMessageId(19, 1)), true);
  assert.equal(seen.has(makeMessageId(1, 1)), false, "the oldest origin's run is forgotten");
  assert.equal(seen.runsForgotten, 11);
});

Deno.test("SeenSet forgets oldest first across origins once its ring has grown and wrapped", () => {
  const seen = new SeenSet(300);
  for (let k = 0; k < 1000; k++) seen.add(makeMessageId(100 + (k % 3), 1 + Math.floor(k / 3)));
  assert.equal(seen.size, 300);
  assert.equal(seen.evictions, 700);
  // The last 300 ids are held; the 700 before them were folded into each origin's run.
  for (let k = 0; k < 1000; k++) {
    assert.equal(seen.has(makeMessageId(100 + (k % 3), 1 + Math.floor(k / 3))), true, `id ${k}`);
  }
  assert.equal(seen.has(makeMessageId(100, 400)), false, "never added");
  assert.equal(seen.add(makeMessageId(100, 400)), true);
});
