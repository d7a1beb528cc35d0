/**
 * Once across restarts at scale (simulated): N nodes, each of `origins` nodes publishes one
 * message, then `restarts` nodes restart at once (new node ids, no state directory, default
 * `history: "none"`), 10 messages during their join windows, then 10 more. Prints how many old
 * messages the restarted nodes delivered again (target 0) and whether every later message
 * reached every node exactly once;
 * the last line is JSON, also written to bench/out/restart.json (see harness.ts).
 *
 * ```sh
 * deno run -A bench/restart_bench.ts --nodes 1000 --loss 10 --origins 50 --restarts 20
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { finish, say } from "./harness.ts";
import { randomInt, seededPrng } from "../lib/core/prng.ts";
import { Simulation } from "../lib/sim/simulation.ts";
import type { MessageId } from "../lib/wire/message_id.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "1000" },
    loss: { type: "string", default: "10" },
    origins: { type: "string", default: "50" },
    restarts: { type: "string", default: "20" },
    seed: { type: "string", default: "1" },
  },
});
const nodes = Number(values.nodes);
const origins = Number(values.origins);
const restarts = Number(values.restarts);
const seed = Number(values.seed);
const encode = (s: string): Uint8Array => new TextEncoder().encode(s);

const started = performance.now();
let restartedAt = Infinity;
const restarted = new Set<number>();
let oldDelivered = 0;
const sim: Simulation = new Simulation({
  nodes,
  seed,
  loss: Number(values.loss) / 100,
  onDeliver: (node, delivery, now) => {
    if (!restarted.has(node) || now < restartedAt) return;
    const record = sim.messages.get(delivery.id);
    if (record && record.publishedAt < restartedAt) oldDelivered++;
  },
});
sim.startAll(1000);
sim.run(20_000);
const pick = seededPrng(seed + 1);
const old: MessageId[] = [];
const publishers = new Set<number>();
while (publishers.size < origins) publishers.add(randomInt(pick, nodes));
for (const publisher of publishers) {
  old.push(sim.publish(publisher, encode(`old ${publisher}`)));
  sim.run(sim.now + 20);
}
sim.run(sim.now + 20_000, () => old.every((id) => sim.fullyDelivered(id)));
while (restarted.size < restarts) restarted.add(randomInt(pick, nodes));
for (const node of restarted) sim.kill(node);
sim.run(sim.now + 1000);
restartedAt = sim.now;
for (const node of restarted) sim.restart(node);
// Messages published while the restarted nodes take their snapshots (their join windows last
// 6 s): news to them, which the history gate must not take for history.
const during: MessageId[] = [];
for (let m = 0; m < 10; m++) {
  during.push(sim.publish(randomInt(pick, nodes), encode(`during ${m}`)));
  sim.run(sim.now + 500);
}
sim.run(sim.now + 20_000);
const fresh: MessageId[] = [];
for (let m = 0; m < 10; m++) {
  fresh.push(sim.publish(randomInt(pick, nodes), encode(`new ${m}`)));
  sim.run(sim.now + 50);
}
sim.run(
  sim.now + 30_000,
  () => fresh.every((id) => sim.fullyDelivered(id)) && during.every((id) => sim.fullyDelivered(id)),
);
const result = {
  nodes,
  loss_percent: Number(values.loss),
  origins,
  restarts,
  seed,
  old_deliveries_possible: restarts * old.length,
  old_delivered_after_restart: oldDelivered,
  new_fully_delivered: fresh.filter((id) => sim.fullyDelivered(id)).length,
  new_published: fresh.length,
  during_fully_delivered: during.filter((id) => sim.fullyDelivered(id)).length,
  during_published: during.length,
  duplicate_deliveries: sim.duplicateDeliveries,
  wall_s: Math.round((performance.now() - started) / 100) / 10,
};
say(
  `restarted ${restarts} of ${nodes} nodes: ${oldDelivered} of ${result.old_deliveries_possible} ` +
    `old deliveries repeated; ${result.new_fully_delivered}/${fresh.length} new messages at every ` +
    `node, ${result.during_fully_delivered}/${during.length} published during their join windows, ` +
    `${sim.duplicateDeliveries} duplicates`,
);
await finish("restart", result);
