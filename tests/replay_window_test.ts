import assert from "node:assert/strict";
import { REPLAY_WINDOW_BITS, ReplayWindow } from "../lib/security/replay_window.ts";

Deno.test("ReplayWindow accepts each counter once, in any order within the window", () => {
  const window = new ReplayWindow(4);
  const order = Array.from({ length: 500 }, (_, i) => (i * 7919) % 500);
  for (const c of order) assert.equal(window.accept(1n, c), "ok");
  for (const c of order) assert.equal(window.accept(1n, c), "replay");
});

Deno.test("ReplayWindow refuses counters that fell out of the window", () => {
  const window = new ReplayWindow(4);
  assert.equal(window.accept(1n, 10), "ok");
  assert.equal(window.accept(1n, 10 + REPLAY_WINDOW_BITS), "ok");
  assert.equal(window.accept(1n, 10), "too_old");
  assert.equal(window.accept(1n, 11), "ok");
  assert.equal(window.accept(1n, 11), "replay");
});

Deno.test("ReplayWindow clears skipped slots when it advances (no false replays)", () => {
  const window = new ReplayWindow(4);
  for (let c = 0; c < 3000; c += 3) assert.equal(window.accept(9n, c), "ok");
  for (let c = 3000 - 900; c < 3000; c++) {
    assert.equal(window.accept(9n, c), c % 3 === 0 ? "replay" : "ok", `counter ${c}`);
  }
  // Jumps of various sizes, then the skipped counters are all fresh.
  let at = 5000;
  for (const jump of [1, 31, 32, 33, 64, 100, 1023]) {
    at += jump;
    assert.equal(window.accept(9n, at), "ok");
    for (let c = at - jump + 1; c < at; c++) assert.equal(window.accept(9n, c), "ok");
  }
});

Deno.test("ReplayWindow stays within its capacity and counts evictions", () => {
  const window = new ReplayWindow(8);
  for (let e = 0n; e < 100n; e++) window.accept(e, 0);
  assert.equal(window.size, 8);
  assert.equal(window.evictions, 92);
  // The most recent epochs are still remembered.
  assert.equal(window.accept(99n, 0), "replay");
});
