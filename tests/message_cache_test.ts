import assert from "node:assert/strict";
import { MessageCache } from "../lib/broadcast/message_cache.ts";

const payload = (n: number) => new Uint8Array(n);

Deno.test("MessageCache evicts oldest first by entries, bytes and age, counting each", () => {
  const cache = new MessageCache({ maxEntries: 3, maxBytes: 1000, maxAgeMs: 100 });
  for (let i = 1; i <= 5; i++) cache.put(BigInt(i), 0, 0, payload(10), i);
  assert.deepEqual([...cache.ids()], [3n, 4n, 5n]);
  assert.equal(cache.evicted.entries, 2);

  const bytes = new MessageCache({ maxEntries: 100, maxBytes: 25, maxAgeMs: 100 });
  for (let i = 1; i <= 4; i++) bytes.put(BigInt(i), 0, 0, payload(10), 0);
  assert.equal(bytes.bytes, 20);
  assert.equal(bytes.evicted.bytes, 2);

  assert.equal(cache.nextExpiry(), 103);
  cache.expire(104);
  assert.deepEqual([...cache.ids()], [5n]);
  assert.equal(cache.evicted.age, 2);
});

Deno.test("MessageCache copies payloads and refuses one larger than the byte bound", () => {
  const cache = new MessageCache({ maxEntries: 10, maxBytes: 8, maxAgeMs: 100 });
  const data = new Uint8Array([1, 2, 3]);
  cache.put(1n, 0, 0, data, 0);
  data[0] = 9;
  assert.equal(cache.get(1n)!.payload[0], 1);
  cache.put(2n, 0, 0, payload(9), 0);
  assert.equal(cache.has(2n), false);
  // Copies share slabs: each is exactly its payload, and writes stay within it.
  cache.put(3n, 0, 0, new Uint8Array([4, 5]), 0);
  const first = cache.get(1n)!.payload;
  const third = cache.get(3n)!.payload;
  assert.deepEqual([first.length, third.length], [3, 2]);
  third.fill(0);
  assert.deepEqual([...first], [1, 2, 3]);
});
