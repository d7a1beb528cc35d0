import assert from "node:assert/strict";
import { LinkLoss, LOSS_WINDOW_PUSHES } from "../lib/broadcast/link_loss.ts";
import { ECHO_ALONE_MS, ECHO_HOPS, REPEAT_ALONE_MS } from "../lib/broadcast/announcements.ts";
import { Plumtree, PRUNE_AFTER_DUPLICATES } from "../lib/broadcast/plumtree.ts";
import { FrameType } from "../lib/wire/frame.ts";
import { makeMessageId } from "../lib/wire/message_id.ts";
import { dataFrame, harness } from "./engine_harness.ts";

const a = "10.0.0.2:1", b = "10.0.0.3:1", c = "10.0.0.4:1";
const id = (origin: number, seq = 1) => makeMessageId(origin, seq);
const sentTo = (sent: { to: string; frame: { type: number } }[]) =>
  sent.map((s) => [s.frame.type, s.to]);

Deno.test("LinkLoss: a lost push marks the link lossy until a window of pushes passes", () => {
  const loss = new LinkLoss(() => true, 20);
  for (let i = 0; i < 10; i++) loss.pushed(a);
  assert.equal(loss.lossy(a), false, "pushes alone say nothing");
  loss.lost(a);
  assert.equal(loss.lossy(a), true);
  assert.equal(loss.lossy(b), false, "per link");
  for (let i = 0; i < 3 * LOSS_WINDOW_PUSHES; i++) loss.pushed(a);
  assert.equal(loss.lossy(a), false, "forgotten after a few windows of clean pushes");
  loss.lost(a);
  loss.forget(a);
  assert.equal(loss.lossy(a), false, "a new link starts clean");
});

Deno.test("LinkLoss: entries of former neighbours are swept past the bound", () => {
  const active = new Set([a]);
  const loss = new LinkLoss((peer) => active.has(peer), 2);
  loss.lost(a);
  loss.lost(b);
  loss.lost(c); // the table is full: b, no longer a neighbour, goes
  assert.equal(loss.lossy(a), true);
  assert.equal(loss.lossy(b), false);
  assert.equal(loss.lossy(c), true);
});

/** A tree over a and b, with b marked lossy by a graft for a payload pushed to it. */
function lossyTree() {
  const h = harness({ lazyDelayMs: 0 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b]);
  assert.deepEqual(tree.forward(id(5), 0, a, 0), [b]);
  tree.onGraft(b, [5], 5); // b was eager for origin 5: it asks for what it was pushed
  assert.equal(tree.announcements.loss.lossy(b), true);
  assert.equal(tree.announcements.loss.lossy(a), false);
  tree.announcements.piggyback((peer) => h.ctx.outbox.has(peer));
  h.ctx.outbox.push(b, { type: FrameType.Ping, nodeId: 1, value: 0 });
  tree.announcements.piggyback((peer) => h.ctx.outbox.has(peer));
  assert.deepEqual(sentTo(h.flush()), [[FrameType.Ping, b], [FrameType.IHave, b]], "echo rides");
  return { h, tree };
}

Deno.test("Announcements: on a lossy link, a push that no datagram follows is echoed alone", () => {
  const { h, tree } = lossyTree();
  tree.forward(id(5, 2), 0, a, 100);
  h.ctx.outbox.push(b, dataFrame(id(5, 2)));
  tree.announcements.piggyback((peer) => h.ctx.outbox.has(peer));
  assert.deepEqual(sentTo(h.flush()), [[FrameType.Data, b]], "not beside the payload");
  tree.tick(100 + ECHO_ALONE_MS - 1);
  assert.equal(h.flush().length, 0, "it waits for a datagram to ride on first");
  tree.tick(100 + ECHO_ALONE_MS);
  assert.deepEqual(h.flush(), [{
    to: b,
    frame: { type: FrameType.IHave, entries: [{ id: id(5, 2), hops: ECHO_HOPS }] },
  }]);
  tree.tick(500);
  assert.equal(h.flush().length, 0, "once");
  // Toward the loss-free link, pushes are echoed only on datagrams that go anyway.
  tree.forward(id(6), 0, b, 600);
  tree.announcements.piggyback((peer) => h.ctx.outbox.has(peer));
  h.flush();
  tree.tick(1000);
  assert.equal(h.flush().length, 0);
});

Deno.test("Announcements: on a lossy link, the last IHAVE batch is sent once more alone", () => {
  const { h, tree } = lossyTree();
  for (let i = 0; i < PRUNE_AFTER_DUPLICATES; i++) tree.onDuplicate(id(7), b, 10);
  tree.forward(id(7, 2), 0, a, 100);
  const first = h.flush().filter((s) => s.frame.type === FrameType.IHave);
  assert.deepEqual(sentTo(first), [[FrameType.IHave, b]]);
  tree.tick(100 + REPEAT_ALONE_MS - 1);
  assert.equal(h.flush().filter((s) => s.frame.type === FrameType.IHave).length, 0);
  tree.tick(100 + REPEAT_ALONE_MS);
  const repeated = h.flush().filter((s) => s.frame.type === FrameType.IHave);
  assert.deepEqual(repeated.map((s) => s.frame), first.map((s) => s.frame), "the same batch");
  tree.tick(1000);
  assert.equal(h.flush().length, 0, "once only");
});
