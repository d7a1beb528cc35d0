import assert from "node:assert/strict";
import { SeenSet } from "../lib/broadcast/seen_set.ts";
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
