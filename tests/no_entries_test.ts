import assert from "node:assert/strict";
import { noEntries, noMembers, ownMap, ownSet } from "../lib/core/no_entries.ts";

Deno.test("no_entries: the shared stand-ins read as empty, refuse writes, and own* replaces them", () => {
  const map = noEntries<string, number>();
  assert.equal(map.size, 0);
  assert.equal(map.get("a"), undefined);
  assert.equal(map.delete("a"), false);
  assert.throws(() => map.set("a", 1), TypeError);
  const own = ownMap(map);
  assert.notEqual(own, map);
  own.set("a", 1);
  assert.equal(noEntries<string, number>().size, 0, "the stand-in stays empty");
  assert.equal(ownMap(own), own, "a table of its own is kept");
  const set = noMembers<string>();
  assert.throws(() => set.add("a"), TypeError);
  const ownS = ownSet(set);
  ownS.add("a");
  assert.equal(noMembers<string>().size, 0);
  assert.equal(ownSet(ownS), ownS);
});
