import assert from "node:assert/strict";
import { FailureDetector, INDIRECT_BIT, NACK_BIT } from "../lib/membership/failure_detector.ts";

function detector() {
  const sent: string[] = [];
  const fd = new FailureDetector(
    { probeIntervalMs: 1000, probeTimeoutMs: 100, indirectProbes: 2 },
    {
      ping: (target, value) => sent.push(`ping ${target} ${value}`),
      pingReq: (helper, target, seq) => sent.push(`req ${helper} ${target} ${seq}`),
      helpers: (_target, count) => ["h1", "h2", "h3"].slice(0, count),
      notice: (target, incarnation) => sent.push(`notice ${target} ${incarnation}`),
    },
  );
  return { fd, sent };
}

Deno.test("failure detector: silence -> ping -> indirect -> suspect -> dead", () => {
  const { fd, sent } = detector();
  fd.track("b", 0);
  assert.equal(fd.tick(500).next, 1000);
  assert.deepEqual(sent, []);
  fd.tick(1000);
  assert.equal(fd.phase("b"), "direct");
  assert.deepEqual(sent, ["ping b 1"]);
  fd.tick(1100);
  assert.equal(fd.phase("b"), "indirect");
  const req = 1 | NACK_BIT;
  assert.deepEqual(sent.slice(1), ["ping b 1", `req h1 b ${req}`, `req h2 b ${req}`]);
  assert.deepEqual(fd.tick(1300).dead, []);
  assert.equal(fd.phase("b"), "suspect", "a missed indirect round suspects, no longer kills");
  assert.deepEqual(sent.slice(4), ["notice b 0"]);
  // No NACK came back: the window is its maximum, 6 probe timeouts.
  for (let now = 1350; now < 1900; now += 50) assert.deepEqual(fd.tick(now).dead, []);
  assert.deepEqual(fd.tick(1900).dead, ["b"]);
  assert.equal(fd.phase("b"), undefined);
  assert.equal(fd.counters.deaths, 1);
  assert.equal(fd.counters.notices, 12, "a notice every half timeout");
});

Deno.test("failure detector: one lost datagram does not evict (a relayed PONG clears it)", () => {
  const { fd } = detector();
  fd.track("b", 0);
  fd.tick(1000);
  fd.tick(1100);
  assert.equal(fd.phase("b"), "indirect");
  assert.equal(fd.acknowledged(1, 1150), "b");
  assert.equal(fd.phase("b"), "idle");
  assert.deepEqual(fd.tick(2000).dead, []);
  assert.equal(fd.counters.refuted, 1);
});

Deno.test("failure detector: any datagram counts as heard and postpones the probe", () => {
  const { fd, sent } = detector();
  fd.track("b", 0);
  fd.heard("b", 900);
  assert.equal(fd.tick(1000).next, 1900);
  assert.deepEqual(sent, []);
});

Deno.test("failure detector: the non-prober side waits one timeout longer", () => {
  const { fd } = detector();
  fd.track("b", 0, false);
  assert.equal(fd.tick(0).next, 1100);
});

Deno.test("failure detector: helper relays carry the requester's sequence back", () => {
  const { fd } = detector();
  const value = fd.startRelay("a", 77, 0)!;
  assert.ok((value & INDIRECT_BIT) !== 0, "relayed pings are marked indirect");
  assert.deepEqual(fd.finishRelay(value), { requester: "a", seq: 77 });
  assert.equal(fd.finishRelay(value), undefined, "answered once");
  assert.equal(fd.acknowledged(value, 0), undefined, "not a probe of ours");
});
