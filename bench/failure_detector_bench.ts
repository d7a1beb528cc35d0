/**
 * False deaths and crash detection of the failure detector in the simulator.
 *
 * A quiet cluster (no messages) runs for `--minutes` virtual minutes at `--loss`: every
 * neighbour declared dead in that time is a false death, since no node crashes. Control traffic
 * is reported as datagrams sent per node per virtual second (idle, so all of it is membership).
 * Then `--crashes` nodes are killed one after another, and the time until every one of a victim's
 * neighbours has dropped it is measured.
 *
 *     deno run bench/failure_detector_bench.ts --nodes 1000 --loss 0.2 --minutes 10
 *
 * Prints figures, then one JSON line; writes bench/out/failure_detector.json when allowed to.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { simAddress, Simulation } from "../lib/sim/simulation.ts";

const args = parseArgs({
  options: {
    nodes: { type: "string", default: "1000" },
    loss: { type: "string", default: "0.2" },
    minutes: { type: "string", default: "10" },
    seed: { type: "string", default: "7" },
    crashes: { type: "string", default: "5" },
    warmup: { type: "string", default: "20" },
  },
});
const nodes = Number(args.values.nodes);
const loss = Number(args.values.loss);
const minutes = Number(args.values.minutes);
const seed = Number(args.values.seed);
const crashes = Number(args.values.crashes);
const warmupMs = Number(args.values.warmup) * 1000;

const encoder = new TextEncoder();
/** One line to stdout (the linter keeps `console` out of the code base). */
function print(line: string): void {
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
}

const sim = new Simulation({ nodes, seed, loss });
sim.startAll(1000);
sim.run(warmupMs);

function total(read: (stats: ReturnType<Simulation["engines"][0]["stats"]>) => number): number {
  let sum = 0;
  for (const i of sim.liveNodes()) sum += read(sim.engines[i]!.stats());
  return sum;
}
const deaths = () => total((s) => s.membership.deaths ?? 0);
const suspicions = () => total((s) => s.membership.suspicions ?? 0);
const refuted = () => total((s) => s.membership.refuted ?? 0);
const suspected = () => total((s) => s.membership.suspected ?? 0);
const datagrams = () => total((s) => s.datagramsOut);

const started = performance.now();
const before = {
  deaths: deaths(),
  suspicions: suspicions(),
  suspected: suspected(),
  refuted: refuted(),
  dg: datagrams(),
};
const t0 = sim.now;
sim.run(t0 + minutes * 60_000);
const seconds = (sim.now - t0) / 1000;
const falseDeaths = deaths() - before.deaths;
const datagramsPerNodeSecond = (datagrams() - before.dg) / nodes / seconds;
const quietWallS = (performance.now() - started) / 1000;
print(
  `N=${nodes} loss=${loss} over ${minutes} virtual min: ${falseDeaths} live neighbours declared ` +
    `dead, ${suspicions() - before.suspicions} direct misses, ${
      suspected() - before.suspected
    } suspected, ${refuted() - before.refuted} refuted, ${
      datagramsPerNodeSecond.toFixed(2)
    } datagrams/node/s (wall ${quietWallS.toFixed(0)} s)`,
);

// Crash detection: kill victims one at a time; time until all their neighbours dropped them.
const detection: number[] = [];
const holding: number[] = [];
for (let k = 0; k < crashes; k++) {
  const victim = 10 + k * Math.max(1, Math.floor(nodes / (crashes + 1)));
  if (victim >= nodes) break;
  const address = simAddress(victim);
  const neighbours = sim.liveNodes().filter((i) =>
    i !== victim && sim.engines[i]!.activePeers().includes(address)
  );
  sim.kill(victim);
  const killedAt = sim.now;
  const dropped = () => neighbours.every((i) => !sim.engines[i]!.activePeers().includes(address));
  sim.run(killedAt + 60_000, dropped);
  detection.push(Math.round(sim.now - killedAt));
  holding.push(neighbours.filter((i) => sim.engines[i]!.activePeers().includes(address)).length);
  print(
    `crash of node ${victim}: dropped by all ${neighbours.length} neighbours after ${
      detection.at(-1)
    } ms`,
  );
  sim.run(sim.now + 5_000);
}

const result = {
  bench: "failure_detector",
  nodes,
  loss,
  minutes,
  seed,
  false_deaths: falseDeaths,
  direct_misses: suspicions() - before.suspicions,
  suspected: suspected() - before.suspected,
  datagrams_per_node_s: Number(datagramsPerNodeSecond.toFixed(2)),
  crash_detect_ms: detection,
  crash_detect_max_ms: Math.max(...detection),
  still_holding: holding.reduce((a, b) => a + b, 0),
  wall_s: Math.round((performance.now() - started) / 1000),
};
try {
  await Deno.mkdir("bench/out", { recursive: true });
  await Deno.writeTextFile(
    `bench/out/failure_detector_${nodes}_${loss}.json`,
    JSON.stringify(result) + "\n",
  );
} catch {
  // No write permission: the JSON line below is the record.
}
print(JSON.stringify(result));
