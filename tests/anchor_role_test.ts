import assert from "node:assert/strict";
import { AnchorRole, mooreMeanDepth, NEAR_BOUND_HOPS } from "../lib/broadcast/anchor_role.ts";
import { TreeLinks } from "../lib/broadcast/tree_links.ts";
import { DataFlag } from "../lib/wire/frame.ts";
import { harness } from "./engine_harness.ts";

const BEACON = 2000;

function fresh(): { role: AnchorRole; links: TreeLinks } {
  const h = harness({ anchorBeaconMs: BEACON });
  const links = new TreeLinks(16);
  const role = new AnchorRole(h.ctx, links);
  role.start(0);
  return { role, links };
}

Deno.test("anchor role: no claim in the first two beacon periods up", () => {
  const { role, links } = fresh();
  assert.equal(role.flagsFor(50, 0, 2 * BEACON - 1), 0);
  assert.equal(links.anchor, undefined);
  assert.equal(role.flagsFor(50, 0, 2 * BEACON), DataFlag.Reroot, "then the next publish claims");
  assert.equal(links.anchor, 50);
  assert.equal(role.flagsFor(50, 0, 2 * BEACON + 10), 0, "a held role is not claimed again");
});

Deno.test("anchor role: a node defers to a smaller origin heard lately, not forever", () => {
  const { role, links } = fresh();
  role.heard(20, 3000);
  role.heard(90, 3500); // larger: the smallest heard stays 20
  assert.equal(role.flagsFor(50, 0, 4100), 0, "20 published lately and will claim");
  assert.equal(links.anchor, undefined);
  role.heard(20, 4200);
  assert.equal(role.flagsFor(50, 0, 4200 + 2 * BEACON), 0, "still within two beacon periods");
  // 20 went silent (crashed, or left) before claiming: after two beacon periods, 50 claims.
  assert.equal(role.flagsFor(50, 0, 4200 + 2 * BEACON + 1), DataFlag.Reroot);
  assert.equal(links.anchor, 50);
});

Deno.test("anchor role: a smaller node than every one heard claims at once", () => {
  const { role, links } = fresh();
  role.heard(90, 4000);
  assert.equal(role.flagsFor(50, 0, 4100), DataFlag.Reroot);
  assert.equal(links.anchor, 50);
});

Deno.test("anchor role: the Moore bound is the mean depth of a full tree of that degree", () => {
  assert.equal(mooreMeanDepth(1, 5), 0);
  // Root, 5 at depth 1, 20 at depth 2: (5 + 40) / 26.
  assert.equal(mooreMeanDepth(26, 5), 45 / 26);
  assert.equal(mooreMeanDepth(4, 2), (2 + 2) / 4, "a chain: two per layer");
  assert.ok(Math.abs(mooreMeanDepth(1000, 5) - 4.435) < 0.001);
});

Deno.test("anchor role: a claim's tree near the Moore bound settles; a deeper one is handed on", () => {
  const census = (nodes: number, depthSum: number) => ({
    epoch: 1,
    total: { nodes, depthSum, height: 9 },
    largest: "10.0.0.9:1",
    complete: true,
  });
  for (const [mean, handed] of [[5.1, 0], [5.3, 1]] as const) {
    const h = harness({ anchorBeaconMs: BEACON, activeViewSize: 5 });
    const links = new TreeLinks(16);
    const role = new AnchorRole(h.ctx, links);
    role.start(0);
    assert.equal(role.flagsFor(50, 0, 2 * BEACON), DataFlag.Reroot);
    role.onCensus(50, census(1000, mean * 1000), 2 * BEACON + 300);
    // Bound 4.43 + 0.75: a mean depth of 5.1 is near enough, 5.3 is not.
    assert.equal(role.counters.handoversSent, handed, `mean depth ${mean}`);
    assert.equal(h.flush().length, handed);
    assert.ok(mooreMeanDepth(1000, 5) + NEAR_BOUND_HOPS > 5.1);
  }
});
