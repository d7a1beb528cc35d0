/**
 * A node that joins a running cluster late (issue 11, "Found": in 0.1 it received the caches'
 * history, in no particular order). The contract (README, docs/PROTOCOL.md): with the default
 * `history: "none"` it delivers nothing published before it joined; with `history: "cached"` it
 * delivers what the cluster still caches, each message once, in no particular order unless
 * `ordered` is set, and then in each publisher's sequence order. Simulated: node 30 is down from
 * the start, so the cluster has never heard of it, and boots after the old messages.
 */
import assert from "node:assert/strict";
import type { GossipOptions } from "../lib/options.ts";
import { Simulation } from "../lib/sim/simulation.ts";
import { type MessageId, originOf, seqOf } from "../lib/wire/message_id.ts";

const NODES = 31;
const LATE = 30;
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

function lateJoin(gossip: GossipOptions, loss = 0) {
  const late: { text: string; origin: number; seq: number }[] = [];
  const sim: Simulation = new Simulation({
    nodes: NODES,
    seed: 5,
    loss,
    gossip,
    onDeliver: (node, delivery) => {
      if (node !== LATE) return;
      late.push({
        text: text(delivery.data),
        origin: originOf(delivery.id),
        seq: seqOf(delivery.id),
      });
    },
  });
  sim.kill(LATE);
  sim.startAll(1000);
  sim.run(15_000);
  // Two publishers, eight messages each, interleaved.
  const old: MessageId[] = [];
  for (let m = 0; m < 8; m++) {
    for (const publisher of [3, 17]) {
      old.push(sim.publish(publisher, new TextEncoder().encode(`old ${publisher}/${m}`)));
      sim.run(sim.now + 20);
    }
  }
  sim.run(sim.now + 5000, () => old.every((id) => sim.fullyDelivered(id)));
  assert.ok(old.every((id) => sim.fullyDelivered(id)), "the old messages reached everyone");
  sim.restart(LATE); // boots for the first time
  sim.run(sim.now + 20_000);
  const oldDelivered = [...late];
  const fresh = [
    sim.publish(3, new TextEncoder().encode("new 3")),
    sim.publish(17, new TextEncoder().encode("new 17")),
  ];
  sim.run(sim.now + 10_000, () => fresh.every((id) => sim.fullyDelivered(id)));
  return { oldDelivered, late, fresh, sim };
}

Deno.test("a late joiner with history none delivers 0 old messages, then new ones once", () => {
  const { oldDelivered, late, fresh, sim } = lateJoin({});
  assert.deepEqual(oldDelivered, [], "nothing published before it joined");
  assert.ok(
    sim.engines[LATE]!.stats().historySkipped >= 16,
    "the old ones were seen, not handed on",
  );
  assert.ok(fresh.every((id) => sim.fullyDelivered(id)));
  assert.deepEqual(late.map((d) => d.text).sort(), ["new 17", "new 3"]);
  assert.equal(sim.duplicateDeliveries, 0);
});

Deno.test("a late joiner with history cached gets each cached message once", () => {
  const { oldDelivered, sim } = lateJoin({ history: "cached" });
  const texts = oldDelivered.map((d) => d.text);
  assert.equal(texts.length, 16, `got ${texts.length}: ${texts.join(", ")}`);
  assert.equal(new Set(texts).size, 16, "each once");
  assert.equal(sim.duplicateDeliveries, 0);
});

Deno.test("a late joiner with history cached and ordered gets each publisher's messages in order", () => {
  // At 20% loss repairs arrive out of order: without `ordered` this run delivers inversions.
  const { oldDelivered, late } = lateJoin({ history: "cached", ordered: true }, 0.2);
  assert.equal(oldDelivered.length, 16);
  for (const origin of new Set(late.map((d) => d.origin))) {
    const seqs = late.filter((d) => d.origin === origin).map((d) => d.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `origin ${origin} in sequence order`);
  }
});
