import assert from "node:assert/strict";
import { runScenario } from "../lib/sim/scenario.ts";
import { Simulation } from "../lib/sim/simulation.ts";

Deno.test("sim: 1,000 nodes, no loss: every node delivers the message exactly once", () => {
  const result = runScenario({ nodes: 1000, seed: 11 });
  assert.equal(result.delivered_fraction, 1);
  assert.equal(result.duplicate_deliveries, 0);
  assert.notEqual(result.virtual_ms_to_full, null);
});

Deno.test("sim: 1,000 nodes at 20% loss: every node delivers it through anti-entropy", () => {
  const result = runScenario({ nodes: 1000, seed: 12, loss: 0.2 });
  assert.equal(result.delivered_fraction, 1);
  assert.equal(result.duplicate_deliveries, 0);
});

Deno.test("sim: the same seed replays the same run; another seed does not", () => {
  const a = runScenario({ nodes: 300, seed: 5, loss: 0.1, messages: 3 });
  const b = runScenario({ nodes: 300, seed: 5, loss: 0.1, messages: 3 });
  const c = runScenario({ nodes: 300, seed: 6, loss: 0.1, messages: 3 });
  assert.deepEqual(a, b);
  assert.notDeepEqual({ ...a, seed: 0 }, { ...c, seed: 0 });
});

Deno.test("sim: a node crashed before publishing is not waited for; survivors all deliver", () => {
  const result = runScenario({ nodes: 500, seed: 3, kill: 0.3, messages: 2 });
  assert.equal(result.live_nodes, 350);
  assert.equal(result.delivered_fraction, 1);
});

Deno.test("sim: a partition keeps messages on their side until it heals", () => {
  const sim = new Simulation({ nodes: 200, seed: 9 });
  sim.startAll(1000);
  sim.run(10_000);
  sim.partition(sim.alive.map((_, i) => (i < 100 ? 0 : 1)));
  const left = sim.publish(10, new TextEncoder().encode("left"));
  const record = sim.messages.get(left)!;
  sim.run(sim.now + 30_000, () => record.deliveredAt.size === 100);
  assert.ok([...record.deliveredAt.keys()].every((node) => node < 100), "stayed on its side");
  assert.equal(record.deliveredAt.size, 100);
  sim.heal();
  sim.run(sim.now + 30_000, () => sim.fullyDelivered(left));
  assert.ok(sim.fullyDelivered(left));
});

Deno.test("sim: delivery counts follow crashes and restarts of nodes that hold a message", () => {
  const sim = new Simulation({ nodes: 60, seed: 21 });
  sim.startAll(1000);
  sim.run(10_000);
  const id = sim.publish(3, new TextEncoder().encode("held"));
  sim.run(sim.now + 30_000, () => sim.fullyDelivered(id));
  assert.equal(sim.holders(id), 60);
  sim.kill(5);
  assert.equal(sim.liveCount(), 59);
  assert.equal(sim.holders(id), 59, "a crashed holder no longer counts");
  assert.ok(sim.fullyDelivered(id), "every live node still holds it");
  sim.restart(5);
  assert.equal(sim.holders(id), 60, "the restarted node delivered it before");
  const later = sim.publish(7, new TextEncoder().encode("later"));
  sim.kill(9);
  sim.run(sim.now + 30_000, () => sim.fullyDelivered(later));
  assert.ok(sim.fullyDelivered(later));
  assert.equal(sim.messages.get(later)!.deliveredAt.has(9), false, "the crashed node never got it");
  assert.equal(sim.holders(later), 59);
});

Deno.test("sim: a scenario prints the same JSON twice and counts its work", () => {
  const run = () =>
    JSON.stringify(runScenario({ nodes: 200, seed: 8, warmupMessages: 2, messages: 5 }));
  assert.equal(run(), run());
  const sim = new Simulation({ nodes: 20, seed: 2 });
  sim.startAll(100);
  sim.run(2000);
  assert.ok(sim.datagramsDelivered > 0 && sim.ticksRun > 0);
  assert.equal(sim.addressOf(19), "10.0.0.20:7946");
});
