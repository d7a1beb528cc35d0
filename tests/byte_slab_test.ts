import assert from "node:assert/strict";
import { ByteSlab, SLAB_BYTES } from "../lib/core/byte_slab.ts";

Deno.test("ByteSlab copies are exact, independent of the source and never overwritten", () => {
  const slab = new ByteSlab();
  const source = new Uint8Array(300);
  const copies: Uint8Array[] = [];
  // Enough copies to fill several slabs, reusing one source buffer like a socket does.
  for (let i = 0; i < 200; i++) {
    source.fill(i & 0xff);
    copies.push(slab.copy(source.subarray(0, 100 + i)));
  }
  source.fill(0xee);
  copies.forEach((copy, i) => {
    assert.equal(copy.length, 100 + i);
    assert.ok(copy.every((b) => b === (i & 0xff)), `copy ${i} kept its bytes`);
  });
  assert.ok(copies[0]!.buffer === copies[1]!.buffer, "small copies share a slab");
  assert.ok(copies[0]!.buffer !== copies[199]!.buffer, "a full slab is replaced, not reused");
});

Deno.test("ByteSlab copies a datagram larger than a slab whole", () => {
  const slab = new ByteSlab();
  const big = new Uint8Array(SLAB_BYTES + 10).fill(9);
  const copy = slab.copy(big);
  assert.equal(copy.length, SLAB_BYTES + 10);
  assert.ok(copy.every((b) => b === 9));
  assert.deepEqual(slab.copy(new Uint8Array([1, 2])), new Uint8Array([1, 2]));
});
