import assert from "node:assert/strict";
import { seededPrng } from "../lib/core/prng.ts";
import { connectedComponents, inDegrees } from "../lib/sim/components.ts";
import { RetryList } from "../lib/membership/rejoin.ts";
import { simAddress, Simulation } from "../lib/sim/simulation.ts";
import { overlayComponents, overlayOf } from "../lib/sim/overlay.ts";

const PERIOD = 2000;

function warm(nodes: number, seed: number): Simulation {
  const sim = new Simulation({ nodes, seed });
  sim.startAll(1000);
  sim.run(10 * PERIOD);
  return sim;
}

function runUntilConnected(sim: Simulation, limitMs: number): number | undefined {
  const start = sim.now;
  while (sim.now - start <= limitMs) {
    if (overlayComponents(sim) === 1) return sim.now - start;
    sim.run(sim.now + 100);
  }
  return undefined;
}

function publishAndCount(sim: Simulation, from: number): number {
  const id = sim.publish(from, new TextEncoder().encode("probe"));
  sim.run(sim.now + 30_000, () => sim.fullyDelivered(id));
  const record = sim.messages.get(id)!;
  const live = sim.liveNodes();
  return live.filter((i) => record.deliveredAt.has(i)).length / live.length;
}

Deno.test("membership sim: 1,000 nodes join through one seed into one symmetric overlay", () => {
  const sim = warm(1000, 21);
  const views = overlayOf(sim);
  assert.equal(connectedComponents(views).length, 1);
  for (const [node, peers] of views) {
    assert.ok(peers.length >= 1 && peers.length <= 5, `${node} has ${peers.length} neighbours`);
    for (const peer of peers) assert.ok(views.get(peer)!.includes(node), "links are symmetric");
  }
  const degree = inDegrees(views);
  assert.ok(degree.mean > 4.5, `mean in-degree ${degree.mean}`);
  assert.ok(degree.sd < 1, `in-degree sd ${degree.sd}`);
  assert.ok(degree.max <= 5, "no node is anyone's hub");
});

Deno.test("membership sim: killing half of 1,000 nodes heals within 3 periods; 100% delivery", () => {
  const sim = warm(1000, 22);
  const pick = seededPrng(22);
  const victims = new Set<number>();
  while (victims.size < 500) victims.add(Math.floor(pick() * 1000));
  for (const v of victims) sim.kill(v);
  const took = runUntilConnected(sim, 3 * PERIOD);
  assert.notEqual(took, undefined, "survivors form one component within 3 periods");
  assert.equal(publishAndCount(sim, sim.liveNodes()[7]!), 1);
  // Every dead neighbour is found by its probes within two more periods.
  sim.run(sim.now + 2 * PERIOD);
  const live = new Set(sim.liveNodes().map(simAddress));
  for (const i of sim.liveNodes()) {
    for (const peer of sim.engines[i]!.activePeers()) {
      assert.ok(live.has(peer), `node ${i} still lists dead ${peer}`);
    }
  }
});

Deno.test("membership sim: a 50/50 partition of 1,000 nodes for 10 periods heals within 3", () => {
  const sim = warm(1000, 23);
  sim.partition(sim.alive.map((_, i) => (i < 500 ? 0 : 1)));
  sim.run(sim.now + 10 * PERIOD);
  assert.equal(overlayComponents(sim), 2, "two sides while split");
  sim.heal();
  const took = runUntilConnected(sim, 3 * PERIOD);
  assert.notEqual(took, undefined, "one component within 3 periods of the heal");
  assert.equal(publishAndCount(sim, 700), 1);
});

Deno.test("membership sim: churn — restarted nodes get new ids and rejoin; old links drop", () => {
  const sim = warm(1000, 24);
  const pick = seededPrng(24);
  const churned = new Set<number>();
  while (churned.size < 100) churned.add(1 + Math.floor(pick() * 999));
  const oldIds = new Map([...churned].map((i) => [i, sim.engines[i]!.nodeId]));
  for (const i of churned) sim.kill(i);
  sim.run(sim.now + PERIOD);
  for (const i of churned) sim.restart(i);
  sim.run(sim.now + 5 * PERIOD);
  for (const i of churned) {
    assert.notEqual(sim.engines[i]!.nodeId, oldIds.get(i), "a restart is a new incarnation");
    assert.ok(sim.engines[i]!.activePeers().length > 0, `restarted ${i} has neighbours`);
  }
  assert.equal(connectedComponents(overlayOf(sim)).length, 1);
  // Links are symmetric once their handshakes are answered: a refill still under way leaves a
  // link one-sided for a round trip (seen: NEIGHBOR accepted at 31,997 ms, its reply in at 32,008,
  // the check at 32,000), so one-sided links must be gone within a few round trips.
  const oneSided = () => {
    const views = overlayOf(sim);
    return [...views].flatMap(([node, peers]) =>
      peers.filter((peer) => !views.get(peer)!.includes(node)).map((peer) => `${node}->${peer}`)
    );
  };
  const until = sim.now + 200;
  while (oneSided().length > 0 && sim.now < until) sim.run(sim.now + 10);
  assert.deepEqual(oneSided(), [], "links are symmetric");
  assert.equal(publishAndCount(sim, [...churned][0]!), 1);
});

Deno.test("rejoin: lost neighbours back off exponentially up to the cap; answers remove them", () => {
  const list = new RetryList({ baseMs: 100, maxMs: 1000, capacity: 2, seedCapacity: 2 }, () => 0.5);
  list.addLost("a", 1, 0);
  assert.equal(list.nextAt(), 100);
  const gaps: number[] = [];
  let now = 0;
  for (let i = 0; i < 6; i++) {
    now = list.nextAt();
    assert.equal(list.due(now).length, 1);
    gaps.push(list.nextAt() - now);
  }
  assert.deepEqual(gaps, [200, 400, 800, 1000, 1000, 1000]);
  list.addLost("b", 2, now);
  list.addLost("c", 3, now);
  assert.equal(list.lostCount, 2, "bounded: the oldest lost neighbour is forgotten");
  assert.equal(list.get("a"), undefined);
  list.answered("b", 2, now);
  assert.equal(list.get("b"), undefined);
  list.addSeed("s", now);
  list.answered("s", 9, now);
  assert.equal(list.get("s")!.nextAt, now + 1000, "a joined node refreshes seeds slowly");
});
