import assert from "node:assert/strict";
import {
  DEPTH_SAMPLES,
  GraftWait,
  LOSS_WINDOW_COPIES,
  LOSSY_WAIT_SHARE,
} from "../lib/broadcast/graft_wait.ts";
import { Plumtree, PRUNE_AFTER_DUPLICATES } from "../lib/broadcast/plumtree.ts";
import { resolveOptions } from "../lib/options.ts";
import { FrameType } from "../lib/wire/frame.ts";
import { makeMessageId } from "../lib/wire/message_id.ts";
import { harness } from "./engine_harness.ts";

const a = "10.0.0.2:1", b = "10.0.0.3:1", c = "10.0.0.4:1";
const id = (origin: number, seq = 1) => makeMessageId(origin, seq);

Deno.test("GraftWait: a graft is retried after its usual round trip, never later than graftRetryMs", () => {
  const wait = new GraftWait(resolveOptions({ graftRetryMs: 50 }));
  assert.equal(wait.retryWait(), 50, "before any answer: the configured retry");
  for (let i = 0; i < 40; i++) wait.answered(20 + (i % 2) * 4);
  const retry = wait.retryWait();
  assert.ok(retry > 22 && retry < 35, `about the round trip and a margin, got ${retry}`);
  for (let i = 0; i < 40; i++) wait.answered(300);
  assert.equal(wait.retryWait(), 50, "slow answers never stretch it past graftRetryMs");
});

Deno.test("GraftWait: a node that saw a loss grafts lazy announcements sooner, then forgets", () => {
  const wait = new GraftWait(resolveOptions({ graftTimeoutMs: 150 }));
  for (let i = 0; i < DEPTH_SAMPLES; i++) wait.recordDepth(20);
  const usual = wait.lazyWait(2);
  assert.ok(usual > 100, `an announcer far above waits long, got ${usual}`);
  wait.sawLoss();
  assert.equal(wait.lossy, true);
  assert.equal(wait.lazyWait(2), Math.round(150 * LOSSY_WAIT_SHARE));
  assert.equal(wait.lazyWait(2, true), usual, "an overloaded node would only load itself more");
  assert.ok(wait.lazyWait(19) <= wait.lazyWait(2), "an announcer as deep as this node: no longer");
  for (let i = 0; i < 2 * LOSS_WINDOW_COPIES; i++) wait.recordDepth(20);
  assert.equal(wait.lossy, false, "a window of first copies without a lost push");
  assert.equal(wait.lazyWait(2), usual);
});

Deno.test("Plumtree: an echoed id that had to be grafted makes the node lossy, and its next graft quick", () => {
  const h = harness({ lazyDelayMs: 0, graftTimeoutMs: 150 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b]);
  tree.onAnnounce(id(8), a, 0, true, 0);
  tree.received(id(8), 5, a); // came after all (reordered): no loss
  assert.equal(tree.wait.lossy, false);
  tree.onAnnounce(id(8, 2), a, 10, true, 0);
  tree.tick(10 + tree.wait.echoWait());
  assert.deepEqual(h.flush().map((s) => s.frame.type), [FrameType.Graft]);
  assert.equal(tree.wait.lossy, true, "the push to this node was lost");
  tree.received(id(8, 2), 50, a, true);
  const lossyWait = Math.round(150 * LOSSY_WAIT_SHARE);
  tree.onAnnounce(id(9), b, 100, false, 3);
  tree.tick(100 + lossyWait - 1);
  assert.equal(h.flush().length, 0);
  tree.tick(100 + lossyWait);
  assert.deepEqual(h.flush().map((s) => [s.frame.type, s.to]), [[FrameType.Graft, b]]);
});

Deno.test("Plumtree: a graft left unanswered, or a peer asking for a pushed payload, is a loss too", () => {
  const h = harness({ lazyDelayMs: 0, graftTimeoutMs: 150, graftRetryMs: 50 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b]);
  tree.onAnnounce(id(8), a, 0, false, 0);
  tree.onAnnounce(id(8), b, 0, false, 0);
  tree.tick(150);
  assert.deepEqual(h.flush().map((s) => [s.frame.type, s.to]), [[FrameType.Graft, a]]);
  assert.equal(tree.wait.lossy, false, "a first graft is no loss");
  tree.tick(200);
  assert.deepEqual(h.flush().map((s) => [s.frame.type, s.to]), [[FrameType.Graft, b]]);
  assert.equal(tree.wait.lossy, true, "its retry is: the graft or its answer was lost");

  const other = new Plumtree(harness({ lazyDelayMs: 0 }).ctx);
  other.sync([a, b, c]);
  for (let i = 0; i < PRUNE_AFTER_DUPLICATES; i++) other.onDuplicate(id(5), c, 0);
  assert.deepEqual(other.forward(id(5, 2), 0, a, 0), [b]);
  other.onGraft(c, [5], 5);
  assert.equal(other.wait.lossy, false, "a graft over a link that pushed nothing is no loss");
  other.onGraft(b, [5], 5);
  assert.equal(other.wait.lossy, true, "b asks for what it was pushed: the push was lost");
});
