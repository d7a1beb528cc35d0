import assert from "node:assert/strict";
import { DatagramStore } from "../lib/sim/datagram_store.ts";
import { seededPrng } from "../lib/core/prng.ts";

Deno.test("datagram store: every datagram reads back intact until released, chunks are reused", () => {
  const store = new DatagramStore();
  const rng = seededPrng(11);
  // In flight: handle, length and the byte each datagram was filled with.
  const inFlight: { handle: number; length: number; fill: number }[] = [];
  for (let step = 0; step < 50_000; step++) {
    if (inFlight.length < 200 || rng() < 0.5) {
      const length = 1 + Math.floor(rng() * 1400);
      const fill = step & 0xff;
      const handle = store.put(new Uint8Array(length).fill(fill));
      inFlight.push({ handle, length, fill });
    } else {
      // Out of order among the oldest, as links with a bounded jitter hand datagrams over.
      const k = Math.floor(rng() * Math.min(32, inFlight.length));
      const { handle, length, fill } = inFlight.splice(k, 1)[0]!;
      const bytes = store.view(handle, length);
      assert.equal(bytes.length, length);
      assert.ok(bytes.every((b) => b === fill), "bytes overwritten while in flight");
      store.release(handle);
    }
  }
  // Hundreds of datagrams of 700 bytes in flight need a few 64 KB chunks: released chunks are
  // reused, not one allocated per 90 datagrams (50,000 datagrams would take about 280).
  assert.ok(store.chunks <= 12, `${store.chunks} chunks allocated`);
});

Deno.test("datagram store: a datagram larger than a chunk is a program error", () => {
  assert.throws(() => new DatagramStore().put(new Uint8Array(65537)), RangeError);
});
