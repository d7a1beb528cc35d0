import assert from "node:assert/strict";
import { AckTracker, hasMajority } from "../lib/broadcast/ack_tracker.ts";
import { FrameType } from "../lib/wire/frame.ts";
import { harness } from "./engine_harness.ts";

const peers = ["10.0.0.2:1", "10.0.0.3:1", "10.0.0.4:1", "10.0.0.5:1", "10.0.0.6:1", "10.0.0.7:1"];

Deno.test("hasMajority() needs more than half, not gogossip's integer 3/2", () => {
  assert.equal(hasMajority(1, 3), false);
  assert.equal(hasMajority(2, 3), true);
  assert.equal(hasMajority(2, 4), false);
  assert.equal(hasMajority(3, 4), true);
  assert.equal(hasMajority(0, 1), false);
});

Deno.test("AckTracker: a majority of ACKs before the timeout means no fallback", () => {
  const h = harness({ ackTimeoutMs: 300 });
  const acks = new AckTracker(h.ctx, () => peers);
  acks.pushed(7n, 0, peers.slice(0, 3), 0);
  acks.onAck([7n], peers[0]!);
  acks.onAck([7n], peers[1]!);
  assert.equal(acks.tick(299), 300, "wants to run at the deadline");
  acks.tick(300);
  assert.equal(acks.counters.fallbacks, 0);
  assert.equal(h.flush().length, 0);
});

Deno.test("AckTracker: short of a majority, the id is announced to k + extra peers", () => {
  const h = harness({ ackTimeoutMs: 300, pullExtraPeers: 3 });
  let asked = 0;
  const acks = new AckTracker(h.ctx, (count) => {
    asked = count;
    return peers.slice(0, count);
  });
  acks.pushed(9n, 2, peers.slice(0, 3), 0);
  acks.onAck([9n], peers[0]!);
  acks.onAck([9n], "10.9.9.9:1"); // not a target: ignored
  acks.tick(300);
  assert.equal(asked, 6);
  assert.equal(acks.counters.fallbacks, 1);
  const sent = h.flush();
  // Peer 0 acked, so it is not asked again; the other five get IHAVE(9, hops 2).
  assert.deepEqual(sent.map((s) => s.to).sort(), peers.slice(1, 6).sort());
  for (const { frame } of sent) {
    assert.deepEqual(frame, { type: FrameType.IHave, entries: [{ id: 9n, hops: 2 }] });
  }
  assert.equal(acks.size, 0, "the push is settled");
});

Deno.test("AckTracker: ACKs that come late are ignored and the table stays bounded", () => {
  const h = harness({ maxPending: 16 });
  const acks = new AckTracker(h.ctx, () => []);
  for (let i = 0; i < 40; i++) acks.pushed(BigInt(i), 0, [peers[0]!], 0);
  assert.equal(acks.size, 16);
  assert.equal(h.ctx.counters.dropped.ack_pending_full, 24);
  acks.tick(10_000);
  acks.onAck([39n], peers[0]!);
  assert.equal(acks.counters.acksReceived, 0);
});
