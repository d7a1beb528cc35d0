import assert from "node:assert/strict";
import {
  DEPTH_SAMPLES,
  ECHO_WAIT_SHARE,
  MAX_FAST_ECHO_GRAFTS,
  MAX_GRAFT_ATTEMPTS,
  MAX_GRAFT_STRETCH,
  OPTIMIZE_AFTER_MESSAGES,
  Plumtree,
  PRUNE_AFTER_DUPLICATES,
  TIMEOUT_HOPS,
} from "../lib/broadcast/plumtree.ts";
import { ANCHOR_IDLE_MS } from "../lib/broadcast/tree_links.ts";
import { CALM_PACE_FACTOR, ECHO_HOPS } from "../lib/broadcast/announcements.ts";
import { LOSS_WINDOW_COPIES } from "../lib/broadcast/graft_wait.ts";
import { DataFlag, FrameType } from "../lib/wire/frame.ts";
import { makeMessageId } from "../lib/wire/message_id.ts";
import { dataFrame, harness } from "./engine_harness.ts";

const a = "10.0.0.2:1", b = "10.0.0.3:1", c = "10.0.0.4:1";
/** Message `seq` of origin `origin`. */
const id = (origin: number, seq = 1) => makeMessageId(origin, seq);

/** Enough duplicates of `message` over `from` to prune that link in an origin's tree. */
function prune(tree: Plumtree, message: bigint, from: string, now: number): void {
  for (let i = 0; i < PRUNE_AFTER_DUPLICATES; i++) tree.onDuplicate(message, from, now);
}

Deno.test("Plumtree: new neighbours start eager; forward skips the sender", () => {
  const h = harness({ lazyDelayMs: 0 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  assert.deepEqual(tree.forward(id(5), 1, a, 0).sort(), [b, c]);
  assert.equal(h.flush().length, 0, "no lazy links, no IHAVE");
});

Deno.test("Plumtree: a duplicate prunes the link for its origin; lazy links then get IHAVE", () => {
  const h = harness({ lazyDelayMs: 0 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.forward(id(5), 0, a, 0);
  prune(tree, id(5), b, 0);
  assert.deepEqual(h.flush(), [{
    to: b,
    frame: { type: FrameType.TreeLink, eager: false, origins: [5] },
  }]);
  assert.deepEqual(tree.forward(id(5, 2), 3, a, 0), [c]);
  assert.deepEqual(h.flush(), [{
    to: b,
    frame: { type: FrameType.IHave, entries: [{ id: id(5, 2), hops: 3 }] },
  }]);
});

Deno.test("Plumtree: one origin's prunes leave the other origins' trees alone", () => {
  const h = harness({ lazyDelayMs: 0 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.forward(id(5), 0, a, 0, DataFlag.Beacon); // origin 5 anchors: its tree is the shared one
  tree.forward(id(9), 0, a, 0); // origin 9 gets a copy of it
  prune(tree, id(9), c, 0);
  h.flush();
  assert.deepEqual(tree.forward(id(9, 2), 1, a, 0), [b], "origin 9 pruned c");
  assert.deepEqual(tree.forward(id(5, 2), 1, a, 0).sort(), [b, c], "origin 5 did not");
  assert.deepEqual(tree.forward(id(12), 1, a, 0).sort(), [b, c], "a new origin copies 5's tree");
});

Deno.test("Plumtree: a prune over the anchor's tree shapes every new origin's first tree", () => {
  const h = harness({ lazyDelayMs: 0 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.forward(id(5), 0, a, 0, DataFlag.Beacon); // origin 5 claims the anchor role
  tree.onPrune(b, [5], 0);
  assert.equal(tree.links.anchor, 5);
  assert.deepEqual(tree.forward(id(30), 1, a, 0), [c]);
  // A plain message of a smaller origin does not take the role; its claim does, and carries the
  // shared state on.
  tree.forward(id(2), 1, a, 0);
  assert.equal(tree.links.anchor, 5);
  tree.forward(id(3), 1, a, 0, DataFlag.Beacon);
  assert.equal(tree.links.anchor, 3);
  assert.deepEqual(tree.forward(id(40), 1, a, 0), [c]);
  tree.forward(id(4, 2), 1, a, 0, DataFlag.Beacon);
  assert.equal(tree.links.anchor, 3, "of two claims the smaller origin wins, whatever the order");
});

Deno.test("Plumtree: an idle anchor is released, and the next claim takes the role", () => {
  const h = harness({ lazyDelayMs: 0 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b]);
  tree.forward(id(5), 0, undefined, 0, DataFlag.Beacon);
  tree.forward(id(70), 0, undefined, 10, DataFlag.Beacon);
  assert.equal(tree.links.anchor, 5);
  assert.equal(tree.links.anchorAt(ANCHOR_IDLE_MS + 1), undefined);
  tree.forward(id(70, 2), 0, undefined, ANCHOR_IDLE_MS + 2, DataFlag.Beacon);
  assert.equal(tree.links.anchor, 70);
});

Deno.test("Plumtree: an origin's tree prunes a link at its second duplicate, the anchor's at the first", () => {
  const h = harness({ lazyDelayMs: 0 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.forward(id(5), 0, a, 0, DataFlag.Beacon); // 5 anchors the shared tree
  tree.onDuplicate(id(5), b, 0);
  assert.deepEqual(h.flush().map((s) => [s.to, s.frame.type]), [[b, FrameType.TreeLink]]);
  tree.forward(id(9), 0, a, 0);
  tree.onDuplicate(id(9), c, 0);
  const links = () => h.flush().filter((s) => s.frame.type === FrameType.TreeLink);
  assert.equal(links().length, 0, "one duplicate may be a race of copies taken mid-change");
  assert.deepEqual(tree.forward(id(9, 2), 0, a, 0), [c], "the link still carries payloads");
  tree.onDuplicate(id(9, 2), c, 0);
  assert.deepEqual(links(), [{
    to: c,
    frame: { type: FrameType.TreeLink, eager: false, origins: [9] },
  }]);
  assert.deepEqual(tree.forward(id(9, 3), 0, a, 0), []);
});

Deno.test("Plumtree: a rerooting message floods and rebuilds; older duplicates do not prune", () => {
  const h = harness({ lazyDelayMs: 0 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.forward(id(5), 0, a, 0, DataFlag.Beacon);
  tree.onPrune(b, [5], 0);
  tree.onPrune(c, [5], 0);
  assert.deepEqual(tree.forward(id(5, 2), 1, a, 0), []);
  assert.deepEqual(tree.forward(id(5, 3), 1, a, 0, DataFlag.Reroot).sort(), [b, c]);
  h.flush();
  tree.onDuplicate(id(5, 2), b, 0); // travelled the old links: says nothing of the new tree
  assert.equal(h.flush().length, 0);
  tree.onDuplicate(id(5, 3), b, 0);
  assert.deepEqual(h.flush(), [{
    to: b,
    frame: { type: FrameType.TreeLink, eager: false, origins: [5] },
  }]);
  assert.deepEqual(tree.forward(id(5, 4), 1, a, 0), [c]);
});

Deno.test("Plumtree: IHAVE without payload grafts after T1, then the next announcer after T2", () => {
  const h = harness({ graftTimeoutMs: 100, graftRetryMs: 50 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.onPrune(a, undefined, 0);
  tree.onPrune(b, undefined, 0);
  tree.onAnnounce(id(8), a, 0);
  tree.onAnnounce(id(8), b, 20);
  assert.equal(tree.tick(99), 100);
  assert.equal(h.flush().length, 0);
  tree.tick(100);
  assert.deepEqual(h.flush(), [{ to: a, frame: { type: FrameType.Graft, ids: [id(8)] } }]);
  tree.tick(150);
  assert.deepEqual(h.flush(), [{ to: b, frame: { type: FrameType.Graft, ids: [id(8)] } }]);
});

Deno.test("Plumtree: a lone announcer is asked again until the attempts run out", () => {
  const h = harness({ graftTimeoutMs: 100, graftRetryMs: 50 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b]);
  tree.onAnnounce(id(8), a, 0);
  let grafts = 0;
  for (let t = 100; t <= 100 + 50 * (MAX_GRAFT_ATTEMPTS + 3); t += 50) {
    tree.tick(t);
    for (const sent of h.flush()) {
      assert.deepEqual(sent, { to: a, frame: { type: FrameType.Graft, ids: [id(8)] } });
      grafts++;
    }
  }
  assert.equal(grafts, MAX_GRAFT_ATTEMPTS, "a lost GRAFT or answer is retried, within a bound");
  assert.equal(tree.missingCount, 0, "then anti-entropy is left to repair it");
});

Deno.test("Plumtree: the payload arriving cancels the graft timer", () => {
  const h = harness({ graftTimeoutMs: 100 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b]);
  tree.onPrune(a, undefined, 0);
  tree.onAnnounce(id(4), a, 0);
  tree.received(id(4), 10); // payload came over b (the broadcaster reports it, then forwards)
  tree.forward(id(4), 2, b, 10);
  tree.tick(500);
  assert.equal(h.flush().filter((s) => s.frame.type === FrameType.Graft).length, 0);
  assert.equal(tree.missingCount, 0);
});

Deno.test("Plumtree: a much shorter IHAVE path moves a busy origin's tree onto it", () => {
  const h = harness({ lazyDelayMs: 0 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.forward(id(2), 0, a, 0, DataFlag.Beacon); // origin 2 anchors the shared tree
  tree.onAnnounceHeld(id(2), 0, 5, b);
  assert.equal(h.flush().length, 0, "the shared tree is never moved (copies of it must agree)");
  tree.forward(id(5), 0, a, 0);
  prune(tree, id(5), b, 0); // b lazy for origin 5; a is the parent
  h.flush();
  tree.onAnnounceHeld(id(5), 1, 5, b); // via b: 2 hops, but the tree carried one message
  assert.equal(h.flush().length, 0, "a tree moves only once its origin has published a lot");
  for (let seq = 2; seq <= OPTIMIZE_AFTER_MESSAGES; seq++) tree.forward(id(5, seq), 0, a, 0);
  h.flush();
  tree.onAnnounceHeld(id(5), 3, 5, b); // via b: 4 hops, we got it in 5: not enough
  assert.equal(h.flush().length, 0);
  tree.onAnnounceHeld(id(5), 1, 5, b); // via b: 2 hops
  assert.deepEqual(h.flush(), [
    { to: b, frame: { type: FrameType.TreeLink, eager: true, origins: [5] } },
    { to: a, frame: { type: FrameType.TreeLink, eager: false, origins: [5] } },
  ]);
  assert.deepEqual(tree.forward(id(5, 99), 0, b, 0), [c]);
});

Deno.test("Plumtree: held IHAVEs ride on a datagram already going to their peer", () => {
  const h = harness({ lazyDelayMs: 50 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.forward(id(5), 0, a, 0);
  prune(tree, id(5), b, 0);
  prune(tree, id(5), c, 0);
  h.flush();
  tree.forward(id(5, 2), 0, a, 0);
  h.ctx.outbox.push(b, { type: FrameType.Ping, nodeId: 1, value: 0 });
  tree.announcements.piggyback((peer) => h.ctx.outbox.has(peer));
  const sent = h.flush();
  assert.deepEqual(sent.map((s) => [s.to, s.frame.type]), [
    [b, FrameType.Ping],
    [b, FrameType.IHave],
  ]);
  tree.tick(50);
  assert.deepEqual(h.flush().map((s) => [s.to, s.frame.type]), [[c, FrameType.IHave]]);
});

Deno.test("Plumtree: a lazy link gets at most one IHAVE datagram of its own per pace", () => {
  const h = harness({ lazyDelayMs: 10, lazyPaceMs: 100 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b]);
  tree.forward(id(5), 0, a, 0);
  prune(tree, id(5), b, 0);
  h.flush();
  const ihavesTo = (peer: string) =>
    h.flush().filter((s) => s.to === peer && s.frame.type === FrameType.IHave);
  tree.forward(id(5, 2), 0, a, 0);
  tree.tick(10);
  assert.equal(ihavesTo(b).length, 1, "the first batch leaves after lazyDelayMs");
  for (let seq = 3; seq < 13; seq++) tree.forward(id(5, seq), 0, a, 20 + seq);
  assert.equal(tree.tick(50), 110, "the next batch waits out the pace");
  assert.equal(ihavesTo(b).length, 0, "within the pace, announcements wait");
  tree.tick(110);
  const batch = ihavesTo(b);
  assert.equal(batch.length, 1, "then all of them leave in one datagram");
  const frame = batch[0]!.frame as { entries: { id: bigint }[] };
  // Ten new ids, and the previous batch repeated (a lost IHAVE is announced twice).
  assert.equal(frame.entries.length, 11);
  tree.forward(id(5, 13), 0, a, 120);
  h.ctx.outbox.push(b, { type: FrameType.Ping, nodeId: 1, value: 0 });
  tree.announcements.piggyback((peer) => h.ctx.outbox.has(peer));
  assert.equal(ihavesTo(b).length, 1, "riding along on another datagram is never held back");
});

Deno.test("Plumtree: a calm node paces its lazy links CALM_PACE_FACTOR times apart, until a loss", () => {
  const h = harness({ lazyDelayMs: 10, lazyPaceMs: 100 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b]);
  tree.forward(id(5), 0, a, 0);
  prune(tree, id(5), b, 0);
  h.flush();
  const ihavesTo = (peer: string) =>
    h.flush().filter((s) => s.to === peer && s.frame.type === FrameType.IHave);
  assert.equal(tree.wait.calm, false, "a node that got few payloads cannot tell yet");
  for (let i = 0; i < LOSS_WINDOW_COPIES; i++) tree.wait.recordDepth(1);
  assert.equal(tree.wait.calm, true);
  tree.forward(id(5, 2), 0, a, 0);
  tree.tick(10);
  assert.equal(ihavesTo(b).length, 1, "the first batch leaves after lazyDelayMs");
  tree.forward(id(5, 3), 0, a, 20);
  assert.equal(tree.tick(110), 210, "held past the usual pace, looked at again one pace later");
  assert.equal(tree.tick(210), 310);
  assert.equal(ihavesTo(b).length, 0, "a calm node holds the batch");
  assert.equal(tree.tick(310), 10 + CALM_PACE_FACTOR * 100);
  tree.tick(10 + CALM_PACE_FACTOR * 100);
  assert.equal(ihavesTo(b).length, 1, "it leaves when the calm pace is out");
  tree.forward(id(5, 4), 0, a, 420);
  tree.tick(510);
  assert.equal(ihavesTo(b).length, 0);
  tree.wait.sawLoss();
  assert.equal(tree.wait.calm, false, "a loss ends the calm");
  assert.equal(tree.tick(610), Infinity);
  assert.equal(ihavesTo(b).length, 1, "and the usual pace is back at the next look");
});

Deno.test("Plumtree: pushed ids are echoed on a later datagram to the peer, never one of their own", () => {
  const h = harness({ lazyDelayMs: 0 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b]);
  assert.deepEqual(tree.forward(id(5), 0, a, 0), [b]);
  h.ctx.outbox.push(b, dataFrame(id(5)));
  tree.announcements.piggyback((peer) => h.ctx.outbox.has(peer));
  assert.deepEqual(h.flush().map((s) => s.frame.type), [FrameType.Data], "not beside the payload");
  tree.tick(400);
  tree.announcements.piggyback((peer) => h.ctx.outbox.has(peer));
  assert.equal(h.flush().length, 0, "no datagram of its own, however long it waits");
  tree.forward(id(5, 2), 0, a, 400);
  h.ctx.outbox.push(b, dataFrame(id(5, 2)));
  tree.announcements.piggyback((peer) => h.ctx.outbox.has(peer));
  const sent = h.flush();
  assert.deepEqual(sent.map((s) => s.frame.type), [FrameType.Data, FrameType.IHave]);
  assert.deepEqual(sent[1]!.frame, {
    type: FrameType.IHave,
    entries: [{ id: id(5), hops: ECHO_HOPS }],
  }, "marked as an echo");
  assert.equal(sent.length, 2);
  // An echo held longer than 500 ms is dropped: the peer may have restarted meanwhile.
  tree.forward(id(5, 3), 0, a, 1000);
  h.ctx.outbox.push(b, { type: FrameType.Ping, nodeId: 1, value: 0 });
  tree.announcements.piggyback((peer) => h.ctx.outbox.has(peer));
  h.flush();
  tree.tick(1600);
  h.ctx.outbox.push(b, { type: FrameType.Ping, nodeId: 1, value: 0 });
  tree.announcements.piggyback((peer) => h.ctx.outbox.has(peer));
  assert.deepEqual(h.flush().map((s) => s.frame.type), [FrameType.Ping]);
});

Deno.test("Plumtree: an echo takes only the room left in the datagram it rides on", () => {
  const h = harness({ lazyDelayMs: 0, maxDatagramSize: 512 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b]);
  for (let seq = 1; seq <= 40; seq++) tree.forward(id(5, seq), 0, a, 0);
  tree.announcements.piggyback(() => false);
  h.flush();
  h.ctx.outbox.push(b, {
    type: FrameType.Data,
    flags: 0,
    id: id(6),
    hops: 1,
    payload: new Uint8Array(300),
  });
  tree.announcements.piggyback((peer) => h.ctx.outbox.has(peer));
  let datagrams = 0;
  const sink = h.ctx.outbox.sink;
  (h.ctx.outbox as { sink: typeof sink }).sink = (to, bytes, frames) => {
    datagrams++;
    assert.ok(bytes.length <= 512);
    sink(to, bytes, frames);
  };
  const sent = h.flush();
  assert.equal(datagrams, 1, "the echo fitted in the payload's datagram");
  const echo = sent.find((s) => s.frame.type === FrameType.IHave)!.frame as { entries: unknown[] };
  assert.ok(echo.entries.length > 0 && echo.entries.length < 40, `${echo.entries.length} ids`);
});

Deno.test("Plumtree: payloads that come late stretch the graft timeout, within a bound", () => {
  const h = harness({ lazyDelayMs: 0, graftTimeoutMs: 100, antiEntropyIntervalMs: 500 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b]);
  assert.equal(tree.wait.graftTimeout(), 100);
  let now = 0;
  for (let seq = 1; seq <= 40; seq++) {
    tree.onAnnounce(id(7, seq), a, now);
    now += 90; // the eager copy comes 90 ms behind the IHAVE, just inside the timeout
    tree.received(id(7, seq), now);
  }
  const stretched = tree.wait.graftTimeout();
  assert.ok(stretched > 150 && stretched <= 180, `late payloads: ${stretched} ms`);
  for (let seq = 41; seq <= 400; seq++) {
    tree.onAnnounce(id(7, seq), a, now);
    now += tree.wait.graftTimeout() - 1;
    tree.received(id(7, seq), now);
  }
  assert.equal(tree.wait.graftTimeout(), MAX_GRAFT_STRETCH * 100, "bounded");
  for (let seq = 401; seq <= 460; seq++) {
    tree.onAnnounce(id(7, seq), a, now);
    now += 5;
    tree.received(id(7, seq), now);
  }
  assert.equal(tree.wait.graftTimeout(), 100, "prompt payloads bring it back");
  // A graft answered, then the tree's own copy from a peer not grafted: the graft was needless.
  tree.onAnnounce(id(9), a, now);
  tree.onAnnounce(id(9), b, now);
  tree.tick(now + 100);
  tree.received(id(9), now + 120, c);
  assert.ok(tree.wait.graftTimeout() > 100, "a needless graft stretches it");
  for (let seq = 521; seq <= 600; seq++) {
    tree.onAnnounce(id(7, seq), a, now);
    now += 5;
    tree.received(id(7, seq), now);
  }
  assert.equal(tree.wait.graftTimeout(), 100);
  // A payload that needed a graft says nothing about the tree's lag.
  tree.onAnnounce(id(8), a, now);
  tree.tick(now + 100);
  tree.received(id(8), now + 5000, a);
  assert.equal(tree.wait.graftTimeout(), 100);
});

Deno.test("Plumtree: origin trees are bounded; the least recently used goes", () => {
  const h = harness({ lazyDelayMs: 0, maxTrees: 2 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a]);
  tree.forward(id(1), 0, undefined, 0, DataFlag.Beacon); // the anchor's tree is not counted
  for (const origin of [20, 30, 40]) tree.forward(id(origin), 0, undefined, 0);
  assert.equal(tree.links.size, 2);
  assert.equal(tree.links.evicted, 1);
});

Deno.test("Plumtree: peers leaving the active view leave every tree", () => {
  const h = harness();
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.forward(id(5), 0, a, 0);
  tree.forward(id(9), 0, a, 0);
  tree.onPrune(c, undefined, 0);
  tree.sync([a]);
  assert.deepEqual([...tree.eager], [a]);
  assert.equal(tree.lazy.size, 0);
  assert.deepEqual(tree.forward(id(9, 2), 0, undefined, 0), [a]);
});

/** The frames sent, as [type, to] pairs. */
const sentTo = (sent: { to: string; frame: { type: number } }[]) =>
  sent.map((s) => [s.frame.type, s.to]);

Deno.test("Plumtree: an echoed id that never came is grafted from its echoer at once", () => {
  const h = harness({ lazyDelayMs: 0, graftTimeoutMs: 150 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b]);
  const wait = tree.wait.echoWait();
  assert.equal(wait, Math.round(150 * ECHO_WAIT_SHARE));
  tree.onAnnounce(id(8), b, 0); // a lazy announcement first: a graft timeout away
  tree.onAnnounce(id(8), a, 10, true); // then a's echo: a pushed it, and it was lost
  tree.tick(10 + wait - 1);
  assert.equal(h.flush().length, 0, "reordering gets its moment");
  tree.tick(10 + wait);
  assert.deepEqual(sentTo(h.flush()), [[FrameType.Graft, a]], "the echoer first, long before 150");
  // Many ids missing at once (an overloaded receiver): an echo waits like any announcement.
  for (let seq = 1; seq <= MAX_FAST_ECHO_GRAFTS; seq++) tree.onAnnounce(id(4, seq), b, 20);
  tree.onAnnounce(id(4, 99), a, 20, true);
  tree.tick(20 + wait);
  assert.equal(h.flush().length, 0, "no graft before the graft timeout");
  for (let seq = 1; seq <= MAX_FAST_ECHO_GRAFTS; seq++) tree.received(id(4, seq), 30, b);
  tree.received(id(4, 99), 30, a);
  // An echoed payload that comes after all says nothing of how late the tree is.
  tree.onAnnounce(id(9), a, 100, true);
  tree.received(id(9), 102, a);
  assert.equal(tree.wait.graftTimeout(), 150);
});

Deno.test("Plumtree: a lazy IHAVE from this node's usual depth waits hops, not a timeout", () => {
  const h = harness({ lazyDelayMs: 0, graftTimeoutMs: 120 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.onAnnounce(id(3), b, 0, false, 9);
  for (let seq = 1; seq <= DEPTH_SAMPLES; seq++) tree.forward(id(5, seq), 8, a, 0);
  h.flush();
  const hop = 120 / TIMEOUT_HOPS;
  // Before enough samples: a graft timeout.
  tree.tick(119);
  assert.equal(h.flush().length, 0);
  tree.tick(120);
  assert.deepEqual(sentTo(h.flush()), [[FrameType.Graft, b]]);
  tree.received(id(3), 140, b, true);
  // This node sits 8 hops deep: an announcer 2 hops up waits two hops' delay; 6 up, six.
  tree.onAnnounce(id(4), b, 1000, false, 6);
  tree.onAnnounce(id(6), c, 1000, false, 2);
  tree.tick(1000 + 2 * hop - 1);
  assert.deepEqual(sentTo(h.flush()), []);
  tree.tick(1000 + 2 * hop);
  assert.deepEqual(sentTo(h.flush()), [[FrameType.Graft, b]]);
  tree.received(id(4), 1000 + 2 * hop + 20, b, true);
  tree.tick(1000 + 6 * hop);
  assert.deepEqual(sentTo(h.flush()), [[FrameType.Graft, c]]);
  tree.received(id(6), 1100, c, true);
  // The origin itself, 8 hops up, waits eight.
  tree.onAnnounce(id(7), b, 2000, false, 0);
  tree.tick(2000 + 8 * hop - 1);
  assert.equal(h.flush().length, 0);
  tree.tick(2000 + 8 * hop);
  assert.deepEqual(sentTo(h.flush()), [[FrameType.Graft, b]]);
});

Deno.test("Plumtree: a copy pulled outside the tree moves no link and is not pushed up", () => {
  const h = harness({ lazyDelayMs: 0 });
  const tree = new Plumtree(h.ctx);
  tree.sync([a, b, c]);
  tree.forward(id(5), 0, a, 0, DataFlag.Beacon); // the anchor's tree; a is the parent
  prune(tree, id(5, 1), c, 0);
  h.flush();
  // The next beacon comes first by an anti-entropy pull from a non-neighbour.
  const stranger = "10.0.0.9:1";
  tree.received(id(5, 2), 10, stranger, true);
  assert.deepEqual(tree.forward(id(5, 2), 3, stranger, 10, DataFlag.Beacon), [b], "not to a");
  // The parent's tree copy comes after: the link stays eager, nothing is pruned.
  tree.onDuplicate(id(5, 2), a, 20);
  assert.equal(h.flush().filter((s) => s.frame.type === FrameType.TreeLink).length, 0);
  assert.ok(tree.eager.has(a) && tree.eager.has(b) && !tree.eager.has(c));
  // A graft's answer is a tree copy: it still prunes the old parent's duplicate.
  tree.onAnnounce(id(5, 3), b, 30);
  tree.tick(30 + tree.wait.graftTimeout());
  h.flush();
  tree.received(id(5, 3), 300, b, true);
  tree.forward(id(5, 3), 2, b, 300, DataFlag.Beacon);
  tree.onDuplicate(id(5, 3), a, 310);
  assert.deepEqual(sentTo(h.flush().filter((s) => s.frame.type === FrameType.TreeLink)), [
    [FrameType.TreeLink, a],
  ]);
  // A rerooting flood is rebuilt by its duplicates, however its first copy came.
  tree.received(id(5, 4), 400, stranger, true);
  tree.forward(id(5, 4), 3, stranger, 400, DataFlag.Beacon | DataFlag.Reroot);
  h.flush();
  tree.onDuplicate(id(5, 4), c, 410); // the first neighbour's copy: c becomes the parent
  tree.onDuplicate(id(5, 4), b, 411);
  assert.deepEqual(sentTo(h.flush()), [[FrameType.TreeLink, b]]);
});
