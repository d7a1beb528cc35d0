import assert from "node:assert/strict";
import { runOpenLoop } from "../lib/sim/open_loop.ts";

Deno.test("open loop: 50 nodes all publishing 20 msgs/s in total reach everyone", () => {
  const result = runOpenLoop({ nodes: 50, rate: 20, durationMs: 2000, seed: 4 });
  assert.equal(result.messages, 40, "an equal share for 2 s at 20/s");
  assert.equal(result.delivered_fraction, 1);
  assert.equal(result.full_fraction, 1);
  assert.equal(result.duplicate_deliveries, 0);
  assert.ok(result.p50_ms_to_full !== null && result.p99_ms_to_full !== null);
  assert.ok(result.p50_ms_to_full <= result.p99_ms_to_full);
  assert.ok(result.payload_copies_per_node >= 1, "every node received each payload");
  assert.ok(result.datagrams_per_message_per_node >= 1);
});

Deno.test("open loop: the same seed gives the same figures", () => {
  const a = runOpenLoop({ nodes: 40, rate: 30, durationMs: 1000, seed: 7, loss: 0.05 });
  const b = runOpenLoop({ nodes: 40, rate: 30, durationMs: 1000, seed: 7, loss: 0.05 });
  assert.deepEqual(a, b);
});
