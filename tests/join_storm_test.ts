import assert from "node:assert/strict";
import { seededPrng } from "../lib/core/prng.ts";
import { WALK_BURST } from "../lib/membership/admission.ts";
import { HyParView } from "../lib/membership/hyparview.ts";
import { JoinerMemory } from "../lib/membership/joiner_memory.ts";
import { JOIN_REDIRECTS } from "../lib/membership/neighbor_handshake.ts";
import { graphShape, overlayShape, randomGraphLike } from "../lib/sim/overlay_shape.ts";
import { overlayOf } from "../lib/sim/overlay.ts";
import { Simulation } from "../lib/sim/simulation.ts";
import { FrameType, type PeersFrame } from "../lib/wire/frame.ts";
import { harness } from "./engine_harness.ts";

const peers = (addresses: string[], ttl: number, nodeId = 500): PeersFrame => ({
  type: FrameType.Peers,
  ttl,
  origin: { nodeId, address: "0.0.0.0:0", age: 0 },
  peers: addresses.map((address, i) => ({ nodeId: 600 + i, address, age: 0 })),
});

Deno.test("join storm: a full contact's PEERS says whether it started walks (ttl 1, then 0)", () => {
  const h = harness({}, 1);
  const contact = new HyParView(h.ctx);
  contact.start(0);
  for (let i = 1; i <= 5; i++) {
    contact.onFrame({ type: FrameType.Neighbor, nodeId: 10 + i, value: 1 }, `10.0.0.${i}:1`, 0);
  }
  assert.equal(contact.active.size, 5);
  h.flush();
  const ttls: number[] = [];
  for (let j = 0; j < WALK_BURST + 4; j++) {
    contact.onFrame({ type: FrameType.Join, nodeId: 100 + j, value: 0 }, `10.0.1.${j}:1`, 10);
    for (const { frame } of h.flush()) if (frame.type === FrameType.Peers) ttls.push(frame.ttl);
  }
  assert.deepEqual(ttls, [...Array(WALK_BURST).fill(1), 0, 0, 0, 0]);
});

Deno.test("join storm: a joiner without walks joins through a named peer, twice per seed join", () => {
  const h = harness({ seeds: ["10.9.9.9:1"] }, 2);
  const joiner = new HyParView(h.ctx);
  joiner.start(0);
  const joinsTo = () =>
    h.flush().filter(({ frame }) => frame.type === FrameType.Join).map(({ to }) => to);
  assert.deepEqual(joinsTo(), ["10.9.9.9:1"]);
  // Walks started: nothing more to do.
  joiner.onFrame(peers(["10.0.0.1:1", "10.0.0.2:1"], 1), "10.9.9.9:1", 1);
  assert.deepEqual(joinsTo(), []);
  assert.equal(joiner.counters.joinRedirects, 0);

  // A new seed join, answered without walks, then a chain of contacts that never start any.
  const h2 = harness({ seeds: ["10.9.9.9:1"] }, 3);
  const second = new HyParView(h2.ctx);
  second.start(0);
  h2.flush();
  let from = "10.9.9.9:1";
  const redirected: string[] = [];
  for (let k = 0; k < JOIN_REDIRECTS + 2; k++) {
    const named = [`10.0.${k}.1:1`, `10.0.${k}.2:1`];
    second.onFrame(peers(named, 0, 700 + k), from, 10 + k);
    const joins = h2.flush().filter(({ frame }) => frame.type === FrameType.Join);
    if (joins.length === 0) break;
    assert.equal(joins.length, 1);
    assert.ok(named.includes(joins[0]!.to), `joined a named peer, not ${joins[0]!.to}`);
    redirected.push(joins[0]!.to);
    from = joins[0]!.to;
  }
  assert.equal(redirected.length, JOIN_REDIRECTS, "redirects are bounded per seed join");
  assert.equal(second.counters.joinRedirects, JOIN_REDIRECTS);
});

Deno.test("JoinerMemory keeps every joiner when joins are rare, a uniform sample in a storm", () => {
  const rng = seededPrng(7);
  const calm = new JoinerMemory(30, 2000);
  for (let j = 0; j < 100; j++) assert.ok(calm.keep(j * 2000, rng), "one join per period");
  const storm = new JoinerMemory(30, 2000);
  const kept: number[] = [];
  for (let j = 0; j < 1000; j++) if (storm.keep(j, rng)) kept.push(j);
  // Reservoir sampling keeps about 30 (1 + ln(1000 / 30)) = 135; the first 30 all.
  assert.ok(kept.length > 90 && kept.length < 190, `kept ${kept.length}`);
  assert.deepEqual(kept.slice(0, 30), [...Array(30).keys()]);
  const lateHalf = kept.filter((j) => j >= 500).length;
  assert.ok(lateHalf > 8 && lateHalf < 40, `kept ${lateHalf} of the second half (30 ln 2 = 21)`);
  assert.ok(storm.recent(1000 + 10 * 2000) < 1, "the count fades");
});

Deno.test("overlay shape: radius, diameter and mean distance of small graphs", () => {
  const ring = Array.from({ length: 10 }, (_, i) => [(i + 9) % 10, (i + 1) % 10]);
  const shape = graphShape(ring);
  assert.equal(shape.radius, 5);
  assert.equal(shape.diameter, 5);
  assert.equal(shape.meanDistance, (2 * (1 + 2 + 3 + 4) + 5) / 9);
  assert.deepEqual(shape.degrees, [0, 0, 10]);
  const path = graphShape([[1], [0, 2], [1, 3], [2, 4], [3], []]);
  assert.equal(path.largestComponent, 5);
  assert.equal(path.radius, 2);
  assert.equal(path.diameter, 4);
  assert.deepEqual(path.eccentricities, [0, 0, 1, 2, 2]);
});

Deno.test("join storm: 1,000 nodes joining through one seed form a nearly random overlay in 10 s", () => {
  const sim = new Simulation({ nodes: 1000, seed: 3 });
  sim.startAll(1000);
  sim.run(10_000);
  const views = overlayOf(sim);
  const shape = overlayShape(views);
  const random = graphShape(randomGraphLike(views, seededPrng(3)));
  assert.equal(shape.largestComponent, 1000);
  // Before joins were spread (every joiner linked the last few dozen): diameter 11 and a mean
  // distance 21% above the random graph's.
  assert.ok(shape.diameter <= 9, `diameter ${shape.diameter}`);
  assert.ok(shape.radius <= 7, `radius ${shape.radius}`);
  assert.ok(
    shape.meanDistance < 1.06 * random.meanDistance,
    `mean distance ${shape.meanDistance} against ${random.meanDistance} for a random graph`,
  );
});
