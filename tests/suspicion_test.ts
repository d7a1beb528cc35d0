import assert from "node:assert/strict";
import { ActiveView } from "../lib/membership/active_view.ts";
import { FailureDetector, NACK_BIT } from "../lib/membership/failure_detector.ts";
import { LocalHealth } from "../lib/membership/local_health.ts";
import { Engine } from "../lib/engine/engine.ts";
import { seededPrng } from "../lib/core/prng.ts";
import {
  MAX_RELAYED_REFUTATIONS,
  Refutation,
  suspicion,
  suspicionWindow,
} from "../lib/membership/suspicion.ts";
import { FrameType, type SuspicionFrame, SuspicionKind } from "../lib/wire/frame.ts";
import { simAddress, Simulation } from "../lib/sim/simulation.ts";
import { harness } from "./engine_harness.ts";

/**
 * A detector (interval 1000, timeout 100, 2 helpers) watching helpers h1, h2 (kept busy, so never
 * probed) and `b`, which missed its probe 1 and is suspected at 1300.
 */
function suspected() {
  const sent: string[] = [];
  const notices: { incarnation: number; nonce: number }[] = [];
  const fd = new FailureDetector(
    { probeIntervalMs: 1000, probeTimeoutMs: 100, indirectProbes: 2 },
    {
      ping: (target, value) => sent.push(`ping ${target} ${value}`),
      pingReq: (helper, target, value) => sent.push(`req ${helper} ${target} ${value}`),
      helpers: (_target, count) => ["h1", "h2", "h3"].slice(0, count),
      notice: (_target, incarnation, nonce) => notices.push({ incarnation, nonce }),
    },
  );
  fd.track("b", 0);
  fd.track("h1", 900);
  fd.track("h2", 900);
  const step = (now: number) => {
    fd.heard("h1", now);
    fd.heard("h2", now);
    return fd.tick(now);
  };
  step(1000);
  step(1100);
  step(1300);
  assert.equal(fd.phase("b"), "suspect");
  assert.deepEqual(sent, [
    "ping b 1",
    "ping b 1",
    `req h1 b ${1 | NACK_BIT}`,
    `req h2 b ${1 | NACK_BIT}`,
  ]);
  return { fd, sent, notices, step };
}

Deno.test("suspicion window: max with no confirmation, shrinking logarithmically to min", () => {
  assert.equal(suspicionWindow(1200, 1800, 0, 3), 1800);
  assert.equal(suspicionWindow(1200, 1800, 1, 3), 1500);
  assert.ok(suspicionWindow(1200, 1800, 2, 3) < 1500);
  assert.equal(suspicionWindow(1200, 1800, 3, 3), 1200);
  assert.equal(suspicionWindow(1200, 1800, 9, 3), 1200, "never below the minimum");
  assert.equal(suspicionWindow(1200, 1800, 5, 0), 1800, "no helpers: no confirmations");
});

Deno.test("suspicion: ordinary traffic from a suspect does not end it; its ALIVE does", () => {
  const { fd, notices } = suspected();
  const nonce = notices[0]!.nonce;
  assert.equal(notices[0]!.incarnation, 0);
  fd.heard("b", 1310);
  assert.equal(fd.phase("b"), "suspect", "a source address is easy to forge");
  assert.equal(fd.alive("b", 1, nonce + 1, 1320), false, "wrong nonce");
  assert.equal(fd.alive("b", 0, nonce, 1330), false, "not newer than the incarnation suspected");
  assert.equal(fd.phase("b"), "suspect");
  assert.equal(fd.alive("b", 1, nonce, 1340), true);
  assert.equal(fd.phase("b"), "idle");
  assert.equal(fd.counters.suspicionsRefuted, 1);
  assert.deepEqual(fd.tick(2000).dead, [], "refuted: alive");
});

Deno.test("suspicion: the next suspicion names the incarnation the suspect proved", () => {
  const { fd, notices, step } = suspected();
  assert.equal(fd.alive("b", 4, notices[0]!.nonce, 1340), true);
  for (let now = 1350; now <= 5000 && fd.phase("b") !== "suspect"; now += 50) step(now);
  assert.equal(fd.phase("b"), "suspect");
  const last = notices.at(-1)!;
  assert.equal(last.incarnation, 4);
  assert.notEqual(last.nonce, notices[0]!.nonce, "a fresh nonce per suspicion");
  assert.equal(fd.alive("b", 5, notices[0]!.nonce, 5000), false, "an old ALIVE replayed");
});

Deno.test("suspicion: NACKs from asked helpers shorten the window, once each; others ignored", () => {
  const { fd } = suspected();
  const value = 1 | NACK_BIT;
  assert.equal(fd.nacked("stranger", value), undefined, "not asked");
  assert.equal(fd.nacked("h1", value), 1300 + suspicionWindow(400, 600, 1, 2));
  assert.equal(fd.nacked("h1", value), undefined, "a helper confirms once");
  assert.equal(fd.nacked("h2", 999), undefined, "no such probe");
  assert.equal(fd.nacked("h2", value), 1300 + 400, "all helpers confirmed: the minimum");
  assert.equal(fd.counters.confirmations, 2);
  assert.deepEqual(fd.tick(1699).dead, []);
  assert.deepEqual(fd.tick(1700).dead, ["b"]);
});

Deno.test("suspicion: relayed PONGs end only a bounded run of suspicions; a direct one resets", () => {
  const { fd, step } = suspected();
  let now = 1300;
  let seq = 1;
  const suspectAgain = () => {
    for (let i = 0; i < 80 && fd.phase("b") !== "suspect"; i++) step(now += 50);
    assert.equal(fd.phase("b"), "suspect");
    seq++;
  };
  for (let i = 0; i < MAX_RELAYED_REFUTATIONS; i++) {
    assert.equal(fd.acknowledged(seq | NACK_BIT, now, "h1"), "b");
    assert.equal(fd.phase("b"), "idle", `relayed refutation ${i + 1}`);
    suspectAgain();
  }
  assert.equal(fd.acknowledged(seq | NACK_BIT, now, "h1"), "b");
  assert.equal(fd.phase("b"), "suspect", "a helper alone cannot keep it alive for ever");
  assert.equal(fd.counters.relayRefutationsRefused, 1);
  assert.equal(fd.acknowledged(seq, now, "b"), "b");
  assert.equal(fd.phase("b"), "idle", "the suspect's own PONG always counts");
});

Deno.test("suspicion: a helper asked for a NACK sends one when the target stays silent", () => {
  const sent: string[] = [];
  const fd = new FailureDetector(
    { probeIntervalMs: 1000, probeTimeoutMs: 100, indirectProbes: 2 },
    {
      ping: () => {},
      pingReq: () => {},
      helpers: () => [],
      nack: (requester, value) => sent.push(`nack ${requester} ${value}`),
    },
  );
  const answered = fd.startRelay("a", 5 | NACK_BIT, 0)!;
  fd.startRelay("c", 6 | NACK_BIT, 0);
  fd.startRelay("d", 7, 0);
  assert.deepEqual(fd.finishRelay(answered), { requester: "a", seq: 5 | NACK_BIT });
  assert.equal(fd.tick(50).next, 100);
  fd.tick(100);
  assert.deepEqual(sent, [`nack c ${6 | NACK_BIT}`], "only the silent target asked for");
  assert.equal(fd.counters.nacksSent, 1);
});

Deno.test("local health: missed answers raise the multiplier, answers and quiet time lower it", () => {
  const health = new LocalHealth(8);
  assert.equal(health.multiplier, 1);
  health.probeFailed(3, 2, 0);
  assert.equal(health.score, 2, "two live helpers sent no NACK");
  health.probeFailed(3, 0, 0);
  assert.equal(health.score, 2, "every helper NACKed or is down: the target's fault");
  health.suspected(0);
  assert.equal(health.multiplier, 4);
  health.probeSucceeded();
  assert.equal(health.score, 2);
  health.relax(999, 1000);
  assert.equal(health.score, 2);
  health.relax(2000, 1000);
  assert.equal(health.score, 0);
  for (let i = 0; i < 20; i++) health.suspected(3000);
  assert.equal(health.multiplier, 8, "bounded");
});

Deno.test("local health: timers firing late count against this node, once per probe timeout", () => {
  const health = new LocalHealth(8);
  health.lagged(20, 100, 0);
  assert.equal(health.score, 0, "a lag under a quarter of the timeout is timer granularity");
  health.lagged(30, 100, 0);
  assert.equal(health.score, 1);
  health.lagged(500, 100, 50);
  assert.equal(health.score, 1, "one penalty per probe timeout, however many late timers");
  health.lagged(500, 100, 150);
  assert.equal(health.score, 2);
  health.relax(3150, 1000);
  assert.equal(health.score, 0, "and quiet time takes it off again");
});

Deno.test("Engine.lagged: a lagging node stretches its probe timing", () => {
  const engine = new Engine({ rng: seededPrng(3), probeTimeoutMs: 100, graftTimeoutMs: 100 });
  engine.start(0);
  assert.equal(engine.stats().membership.localHealth, 0);
  engine.lagged(5, 10); // below both thresholds
  assert.equal(engine.stats().membership.localHealth, 0);
  engine.lagged(80, 20);
  engine.tick(21);
  assert.equal(engine.stats().membership.localHealth, 1);
});

function refutation() {
  const h = harness({}, 1);
  const active = new ActiveView(5);
  active.add("10.0.0.2:7946", 2, 0);
  const fd = new FailureDetector(
    { probeIntervalMs: 1000, probeTimeoutMs: 300, indirectProbes: 3 },
    { ping: () => {}, pingReq: () => {}, helpers: () => [] },
  );
  const strangers: string[] = [];
  const refute = new Refutation(h.ctx, active, fd, (from) => strangers.push(from));
  return { h, refute, fd, strangers };
}

function notice(nodeId: number, incarnation: number, value: number): SuspicionFrame {
  return { ...suspicion(SuspicionKind.Suspect, nodeId, value), incarnation };
}

Deno.test("refutation: a notice at the current incarnation bumps it; the ALIVE echoes the nonce", () => {
  const { h, refute, fd } = refutation();
  refute.onFrame(notice(2, 0, 77), "10.0.0.2:7946", 10);
  assert.equal(refute.incarnation, 1);
  assert.equal(fd.health.score, 1, "being suspected counts against local health");
  assert.deepEqual(h.flush(), [{
    to: "10.0.0.2:7946",
    frame: {
      type: FrameType.Suspicion,
      kind: SuspicionKind.Alive,
      nodeId: 1,
      incarnation: 1,
      value: 77,
    },
  }]);
  refute.onFrame(notice(2, 0, 78), "10.0.0.2:7946", 20);
  assert.equal(refute.incarnation, 1, "a stale notice is answered without a bump");
  assert.equal((h.flush()[0]!.frame as SuspicionFrame).incarnation, 1);
});

Deno.test("refutation: notices from strangers or ahead of the incarnation are not answered", () => {
  const { h, refute, strangers } = refutation();
  refute.onFrame(notice(9, 0, 1), "10.0.0.9:7946", 0);
  refute.onFrame(notice(3, 0, 1), "10.0.0.2:7946", 0);
  refute.onFrame(notice(2, 5, 1), "10.0.0.2:7946", 0);
  assert.equal(refute.incarnation, 0);
  assert.deepEqual(h.flush(), []);
  assert.equal(refute.counters.suspicionIgnored, 3);
  assert.deepEqual(strangers, ["10.0.0.9:7946"], "only a non-neighbour is told it is not one");
});

Deno.test("suspicion sim: 100 nodes at 20% loss for 2 minutes declare no live node dead; a crash is dropped within 5 probe periods", () => {
  const sim = new Simulation({ nodes: 100, seed: 3, loss: 0.2 });
  sim.startAll(1000);
  sim.run(20_000);
  const total = (name: string) =>
    sim.liveNodes().reduce((sum, i) => sum + (sim.engines[i]!.stats().membership[name] ?? 0), 0);
  const deaths = total("deaths");
  const suspectedBefore = total("suspected");
  sim.run(sim.now + 120_000);
  assert.ok(total("suspected") > suspectedBefore, "the suspicion stage was exercised");
  assert.ok(total("incarnation") > 0, "suspects refuted by raising their incarnation");
  assert.equal(total("deaths"), deaths, "no live neighbour declared dead");
  const victim = 42;
  const address = simAddress(victim);
  const neighbours = sim.liveNodes().filter((i) =>
    i !== victim && sim.engines[i]!.activePeers().includes(address)
  );
  assert.ok(neighbours.length > 0);
  sim.kill(victim);
  const killedAt = sim.now;
  sim.run(killedAt + 5 * 1000);
  for (const i of neighbours) {
    assert.ok(!sim.engines[i]!.activePeers().includes(address), `node ${i} still lists it`);
  }
});
