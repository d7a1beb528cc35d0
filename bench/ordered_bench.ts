/**
 * The cost of per-origin ordered delivery: the same simulated cluster, loss and message sequence
 * with `ordered` off and on; prints time to full delivery, inversions (deliveries of an origin's
 * message after a higher-numbered one of the same origin, per node) and skipped gaps.
 *
 * ```sh
 * deno run --allow-write=bench/out bench/ordered_bench.ts --nodes 1000 --loss 0.2
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runScenario } from "../lib/sim/scenario.ts";
import { seqOf } from "../lib/wire/message_id.ts";
import { finish, say } from "./harness.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "1000" },
    loss: { type: "string", default: "0.2" },
    messages: { type: "string", default: "60" },
    publishers: { type: "string", default: "3" },
    hold: { type: "string", default: "10000" },
    seed: { type: "string", default: "1" },
  },
}).values;

function run(ordered: boolean) {
  const last = new Map<string, number>();
  let inversions = 0;
  const started = performance.now();
  const result = runScenario({
    nodes: Number(args.nodes),
    loss: Number(args.loss),
    messages: Number(args.messages),
    publishers: Number(args.publishers),
    seed: Number(args.seed),
    limitMs: 120_000,
    gossip: { ordered, orderHoldMs: Number(args.hold) },
    onDeliver: (node, delivery) => {
      const key = `${node}/${delivery.origin}`;
      const seq = seqOf(delivery.id);
      if (seq <= (last.get(key) ?? 0)) inversions++;
      last.set(key, seq);
    },
  });
  return {
    ordered,
    nodes: result.nodes,
    loss: result.loss,
    messages: result.messages,
    delivered_fraction: result.delivered_fraction,
    median_ms_to_full: result.median_ms_to_full,
    virtual_ms_to_full: result.virtual_ms_to_full,
    inversions,
    duplicate_deliveries: result.duplicate_deliveries,
    wall_ms: Math.round(performance.now() - started),
  };
}

const unordered = run(false);
say(JSON.stringify(unordered));
const ordered = run(true);
say(JSON.stringify(ordered));
await finish("ordered", {
  hold_ms: Number(args.hold),
  unordered,
  ordered,
  extra_ms_to_full: unordered.virtual_ms_to_full !== null && ordered.virtual_ms_to_full !== null
    ? ordered.virtual_ms_to_full - unordered.virtual_ms_to_full
    : null,
});
