import assert from "node:assert/strict";
import { runOpenLoop } from "../lib/sim/open_loop.ts";
import { Simulation } from "../lib/sim/simulation.ts";

Deno.test("shared core: events wait for it, so a busy cluster delivers later", () => {
  const run = (cpu?: { datagramMs: number }) => {
    const sim = new Simulation({
      nodes: 20,
      seed: 3,
      delayMs: 1,
      jitterMs: 0,
      ...(cpu ? { cpu } : {}),
    });
    sim.startAll(500);
    sim.run(8000);
    const id = sim.publish(5, new Uint8Array([1, 2, 3]));
    sim.run(sim.now + 5000, () => sim.fullyDelivered(id));
    const record = sim.messages.get(id)!;
    return { sim, last: Math.max(...record.deliveredAt.values()) - record.publishedAt };
  };
  const free = run();
  const busy = run({ datagramMs: 2 });
  assert.equal(free.sim.cpu.busyMs, 0, "no core modelled: nothing accounted");
  assert.ok(busy.sim.fullyDelivered([...busy.sim.messages.keys()][0]!));
  // 19 receivers at 2 ms each on one core: the last copy waits for most of the others.
  assert.ok(busy.last >= 19 * 2, `last delivery after ${busy.last} ms`);
  assert.ok(busy.last > free.last + 20, `${busy.last} ms with the core, ${free.last} without`);
  assert.ok(busy.sim.cpu.busyMs > 0);
});

Deno.test("shared core: an offered load past its capacity is seen as lag and lost deadlines", () => {
  const run = (datagramMs: number) =>
    runOpenLoop({ nodes: 30, rate: 50, durationMs: 1000, seed: 2, cpu: { datagramMs } });
  const light = run(0.05);
  const heavy = run(2);
  assert.equal(light.full_fraction, 1);
  assert.ok(light.cpu_busy! < 0.5, `light load busy ${light.cpu_busy}`);
  assert.ok(heavy.cpu_busy! > 0.95, `heavy load busy ${heavy.cpu_busy}`);
  assert.ok(heavy.cpu_max_lag_ms! > 100, `heavy load lag ${heavy.cpu_max_lag_ms} ms`);
  assert.ok(heavy.full_fraction < light.full_fraction);
  // Deterministic like the rest of the simulator.
  assert.deepEqual(run(2), heavy);
});
