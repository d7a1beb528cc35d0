// Simulator checks of the broadcast targets at 1,000 nodes, fixed seeds (issue: reliable,
// efficient broadcast). Figures are asserted as bounds; the exact values are in the bench.
import assert from "node:assert/strict";
import { runScenario } from "../lib/sim/scenario.ts";

Deno.test("tree: 1,000 nodes in steady state get every message with <= 1.15 copies each", () => {
  const r = runScenario({ nodes: 1000, seed: 1, warmupMessages: 5, messages: 5 });
  assert.equal(r.delivered_fraction, 1);
  assert.equal(r.duplicate_deliveries, 0);
  assert.ok(r.payload_copies_per_node <= 1.15, `copies ${r.payload_copies_per_node}`);
});

Deno.test("tree: 30% loss on every link still delivers 100% within 10 anti-entropy periods", () => {
  const r = runScenario({ nodes: 1000, seed: 2, loss: 0.3, warmupMessages: 2, messages: 3 });
  assert.equal(r.delivered_fraction, 1);
  assert.ok(r.virtual_ms_to_full !== null && r.virtual_ms_to_full <= 10_000);
});

Deno.test("tree: after a 50/50 partition heals, all hold all messages within 5 periods", () => {
  const r = runScenario({ nodes: 1000, seed: 3, partitionMs: 10_000, messages: 10 });
  assert.equal(r.delivered_fraction, 1);
  assert.ok(r.virtual_ms_heal_to_full !== null && r.virtual_ms_heal_to_full <= 5000);
});

Deno.test("pushpull: ACKed push with pull fallback delivers 100% at 1,000 nodes and 10% loss", () => {
  const r = runScenario({
    nodes: 1000,
    seed: 4,
    loss: 0.1,
    messages: 3,
    gossip: { mode: "pushpull" },
  });
  assert.equal(r.delivered_fraction, 1);
  assert.equal(r.duplicate_deliveries, 0);
});

Deno.test("tree: crash 30% before publishing: every survivor delivers", () => {
  const r = runScenario({ nodes: 1000, seed: 5, kill: 0.3, warmupMessages: 2, messages: 3 });
  assert.equal(r.live_nodes, 700);
  assert.equal(r.delivered_fraction, 1);
});
