import assert from "node:assert/strict";
import { FailureDetector, INDIRECT_BIT } from "../lib/membership/failure_detector.ts";

function detector() {
  const sent: string[] = [];
  const fd = new FailureDetector(
    { probeIntervalMs: 1000, probeTimeoutMs: 100, indirectProbes: 2 },
    {
      ping: (target, value) => sent.push(`ping ${target} ${value}`),
      pingReq: (helper, target, seq) => sent.push(`req ${helper} ${target} ${seq}`),
      helpers: (_target, count) => ["h1", "h2", "h3"].slice(0, count),
    },
  );
  return { fd, sent };
}

Deno.test("failure detector: silence -> ping -> indirect -> dead", () => {
  const { fd, sent } = detector();
  fd.track("b", 0);
  assert.equal(fd.tick(500).next, 1000);
  assert.deepEqual(sent, []);
  fd.tick(1000);
  assert.equal(fd.phase("b"), "direct");
  assert.deepEqual(sent, ["ping b 1"]);
  fd.tick(1100);
  assert.equal(fd.phase("b"), "indirect");
  assert.deepEqual(sent.slice(1), ["ping b 1", "req h1 b 1", "req h2 b 1"]);
  assert.deepEqual(fd.tick(1299).dead, []);
  assert.deepEqual(fd.tick(1300).dead, ["b"]);
  assert.equal(fd.phase("b"), undefined);
  assert.equal(fd.counters.deaths, 1);
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

Deno.test("failure detector: where direct probes keep missing, a suspicion lasts more rounds", () => {
  const { fd, sent } = detector();
  assert.equal(fd.extraRounds, 0, "a clean network: one indirect round, as before");
  // Forty neighbours whose direct probes miss (each answers only in the indirect phase).
  for (let i = 0; i < 40; i++) {
    const t = 10_000 * i;
    fd.track(`p${i}`, t);
    fd.tick(t + 1000);
    fd.tick(t + 1100);
    assert.equal(fd.phase(`p${i}`), "indirect");
    fd.heard(`p${i}`, t + 1150);
    fd.untrack(`p${i}`);
  }
  const extra = fd.extraRounds;
  assert.equal(extra, 6, "lossy links buy the most extra rounds");
  sent.length = 0;
  const t = 1_000_000;
  fd.track("silent", t);
  fd.tick(t + 1000); // direct
  fd.tick(t + 1100); // first indirect round: two timeouts
  let deadAt = -1;
  for (let now = t + 1300; now <= t + 1300 + 100 * (extra + 1); now += 100) {
    if (fd.tick(now).dead.includes("silent")) {
      deadAt = now;
      break;
    }
  }
  assert.equal(deadAt, t + 1300 + 100 * extra, "dead only after every extra round");
  const helpersAsked = sent.filter((line) => line.startsWith("req h1 silent")).length;
  assert.equal(helpersAsked, 1 + extra, "each round asks the helpers again");
});
