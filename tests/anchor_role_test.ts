import assert from "node:assert/strict";
import { AnchorRole } from "../lib/broadcast/anchor_role.ts";
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
