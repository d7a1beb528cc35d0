import assert from "node:assert/strict";
import { findImpurities, scanPureDirs } from "./purity.ts";

Deno.test("findImpurities() flags clock, randomness, timers and Deno", () => {
  const source = [
    "const a = Date.now();",
    "const b = Math.random();",
    "setTimeout(f, 1);",
    "Deno.exit(1);",
    "const fine = rng();",
  ].join("\n");
  assert.equal(findImpurities(source).length, 4);
});

Deno.test("the protocol core (engine, wire, broadcast, membership, sim) is pure", async () => {
  assert.deepEqual(await scanPureDirs(), []);
});
