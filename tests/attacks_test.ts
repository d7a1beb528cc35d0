// Every attack and fault scenario of the simulator runs (a crash here once hid behind the CLI),
// delivers every honest message, and reflects less than it receives.
import assert from "node:assert/strict";
import { ATTACKS, runAttack } from "../lib/sim/attacks.ts";

for (const attack of ATTACKS) {
  Deno.test(`sim --attack ${attack}: 100 nodes, every honest message everywhere, no amplification`, () => {
    const r = runAttack({ attack, nodes: 100, durationMs: 5000, rate: 200, messages: 5 });
    assert.equal(r.delivered_fraction, 1, JSON.stringify(r));
    assert.equal(r.fully_delivered, r.messages);
    assert.ok(r.amplification <= 1, `amplification ${r.amplification}`);
    assert.ok(r.victim_min_honest_neighbors >= 1, "victims stay connected to honest nodes");
  });
}
