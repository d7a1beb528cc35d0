import assert from "node:assert/strict";
import { encodeFrames } from "../lib/core/outbox.ts";
import { Simulation } from "../lib/sim/simulation.ts";
import { FrameType } from "../lib/wire/frame.ts";

Deno.test("FORWARD_JOIN: a walk step from a stranger is refused; one from a neighbour goes on", () => {
  const sim = new Simulation({ nodes: 20, seed: 5 });
  sim.startAll(500);
  sim.run(10_000);
  const joiner = { nodeId: 4242, address: "10.200.0.1:7946", age: 0 };
  const contacted: string[] = [];
  sim.external = (_from, to) => contacted.push(to);
  const victim = 3;
  const counters = () => {
    const m = sim.engines[victim]!.stats().membership;
    return { refused: m.forwardJoinsRefused ?? 0, forwarded: m.forwardJoins ?? 0 };
  };
  const walk = encodeFrames([{ type: FrameType.ForwardJoin, ttl: 5, origin: joiner, peers: [] }]);

  const before = counters();
  sim.inject("10.99.0.1:7946", victim, walk);
  sim.run(sim.now + 2_000);
  const afterStranger = counters();
  assert.equal(afterStranger.refused - before.refused, 1);
  assert.equal(afterStranger.forwarded, before.forwarded, "nothing forwarded");
  assert.ok(!contacted.includes(joiner.address), "nobody was made to contact the named address");

  const neighbour = sim.engines[victim]!.activePeers()[0]!;
  sim.inject(neighbour, victim, walk);
  sim.run(sim.now + 2_000);
  assert.equal(
    counters().forwarded - afterStranger.forwarded,
    1,
    "a neighbour's walk goes on",
  );
});
