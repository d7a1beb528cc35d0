import assert from "node:assert/strict";
import { Plumtree } from "../lib/broadcast/plumtree.ts";
import { FrameType } from "../lib/wire/frame.ts";
import { harness } from "./engine_harness.ts";

const a = "10.0.0.2:1", b = "10.0.0.3:1", c = "10.0.0.4:1";

Deno.test("Plumtree: new neighbours start eager; forward skips the sender", () => {
  const h = harness({ lazyDelayMs: 0 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  assert.deepEqual(tree.forward(1n, 1, a, 0).sort(), [b, c]);
  assert.equal(h.flush().length, 0, "no lazy links, no IHAVE");
});

Deno.test("Plumtree: a duplicate prunes the link; lazy links then get IHAVE, not payloads", () => {
  const h = harness({ lazyDelayMs: 0 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.onDuplicate(b);
  assert.deepEqual(h.flush(), [{ to: b, frame: { type: FrameType.Prune } }]);
  assert.ok(tree.lazy.has(b) && !tree.eager.has(b));
  assert.deepEqual(tree.forward(5n, 3, a, 0), [c]);
  assert.deepEqual(h.flush(), [{
    to: b,
    frame: { type: FrameType.IHave, entries: [{ id: 5n, hops: 3 }] },
  }]);
});

Deno.test("Plumtree: IHAVE without payload grafts after T1, then the next announcer after T2", () => {
  const h = harness({ graftTimeoutMs: 100, graftRetryMs: 50 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.onPrune(a);
  tree.onPrune(b);
  tree.onAnnounce(8n, a, 0);
  tree.onAnnounce(8n, b, 20);
  assert.equal(tree.tick(99), 100);
  assert.equal(h.flush().length, 0);
  tree.tick(100);
  assert.deepEqual(h.flush(), [{ to: a, frame: { type: FrameType.Graft, ids: [8n] } }]);
  assert.ok(tree.eager.has(a), "grafting makes the link eager again");
  tree.tick(150);
  assert.deepEqual(h.flush(), [{ to: b, frame: { type: FrameType.Graft, ids: [8n] } }]);
});

Deno.test("Plumtree: the payload arriving cancels the graft timer", () => {
  const h = harness({ graftTimeoutMs: 100 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b]);
  tree.onPrune(a);
  tree.onAnnounce(4n, a, 0);
  tree.forward(4n, 2, b, 10); // payload came over b
  tree.tick(500);
  assert.equal(h.flush().filter((s) => s.frame.type === FrameType.Graft).length, 0);
  assert.equal(tree.missingCount, 0);
});

Deno.test("Plumtree: peers leaving the active view leave both link sets", () => {
  const h = harness();
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.onPrune(c);
  tree.sync([a]);
  assert.deepEqual([...tree.eager], [a]);
  assert.equal(tree.lazy.size, 0);
});
