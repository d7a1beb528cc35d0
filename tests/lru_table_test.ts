import assert from "node:assert/strict";
import { LruTable, SMALL_ENTRIES } from "../lib/core/lru_table.ts";
import { randomInt, seededPrng } from "../lib/core/prng.ts";

/** The reference: a Map with delete-then-set on every touch, what LruTable replaced. */
function touchMap(map: Map<string, number>, key: string, value: number, capacity: number) {
  map.delete(key);
  map.set(key, value);
  if (map.size > capacity) map.delete(map.keys().next().value!);
}

for (const capacity of [3, SMALL_ENTRIES, 40]) {
  Deno.test(`LruTable(${capacity}) keeps and evicts exactly as a Map with delete-then-set`, () => {
    const rng = seededPrng(capacity);
    const table = new LruTable<number>(capacity);
    const reference = new Map<string, number>();
    const keys = Array.from({ length: 3 * capacity }, (_, i) => `10.0.0.${i}:7946`);
    for (let step = 0; step < 5000; step++) {
      const key = keys[randomInt(rng, keys.length)]!;
      if (rng() < 0.3) {
        assert.equal(table.delete(key), reference.delete(key));
      } else {
        table.touch(key, step);
        touchMap(reference, key, step, capacity);
      }
      assert.equal(table.size, reference.size);
      const probe = keys[randomInt(rng, keys.length)]!;
      assert.equal(table.has(probe), reference.has(probe));
      assert.equal(table.get(probe), reference.get(probe));
    }
    // The same survivors: evicting everything through new keys drops them in the same order.
    for (let i = 0; i < capacity; i++) {
      const fresh = `192.0.2.${i}:1`;
      table.touch(fresh, -1);
      touchMap(reference, fresh, -1, capacity);
      for (const key of keys) assert.equal(table.has(key), reference.has(key), key);
    }
  });
}
