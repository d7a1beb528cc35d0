/**
 * What a received message costs in the node's two per-message tables, the seen set and the
 * message cache, below their bounds and at them. At the bound every new id makes the oldest
 * leave, which is the steady state of any long-running node (100,000 seen ids and 10,000 cached
 * messages by default: 17 minutes and 100 s at 100 msgs/s).
 *
 * Run alone: `deno run --allow-read=. --allow-write=bench/out bench/bounded_tables_bench.ts`
 *
 * @module
 */

import { MessageCache } from "../lib/broadcast/message_cache.ts";
import { SeenSet } from "../lib/broadcast/seen_set.ts";
import { makeMessageId, type MessageId } from "../lib/wire/message_id.ts";
import { finish, measure, say } from "./harness.ts";

/** Figures of the bounded-tables benchmark, ns per received message. */
export interface BoundedTablesFigures {
  /** One add and seven lookups of recent ids (as a payload and its IHAVEs bring). */
  seen_below_bound_ns: number;
  seen_at_bound_ns: number;
  /** One put of a 100-byte payload. */
  cache_below_bound_ns: number;
  cache_at_bound_ns: number;
}

const ORIGINS = 32;

/** Ids of 32 origins publishing in turn, as many publishers do. */
function idStream(): (k: number) => MessageId {
  const origins = Array.from({ length: ORIGINS }, (_, i) => 1_234_567_890 + i * 99_991);
  return (k) => makeMessageId(origins[k % ORIGINS]!, 1 + Math.floor(k / ORIGINS));
}

function seenCost(capacity: number, prefill: number): number {
  const idOf = idStream();
  const seen = new SeenSet(capacity);
  let k = 0;
  for (; k < prefill; k++) seen.add(idOf(k));
  return measure(() => {
    seen.add(idOf(k));
    let held = 0;
    for (let back = 1; back <= 7; back++) if (seen.has(idOf(k - back * 13))) held++;
    k++;
    return held;
  }).ns;
}

function cacheCost(maxEntries: number, prefill: number): number {
  const idOf = idStream();
  const cache = new MessageCache({ maxEntries, maxBytes: 1 << 30, maxAgeMs: Infinity });
  const payload = new Uint8Array(100);
  let k = 0;
  for (; k < prefill; k++) cache.put(idOf(k), 0, 1, payload, k);
  return measure(() => {
    cache.put(idOf(k), 0, 1, payload, k);
    k++;
    return cache.size;
  }).ns;
}

/** Runs the benchmark and prints its figures. */
export function runBoundedTablesBench(): BoundedTablesFigures {
  say("== seen set and message cache: ns per received message ==");
  // Below the bound: a capacity no run of the benchmark reaches.
  const figures: BoundedTablesFigures = {
    seen_below_bound_ns: seenCost(1 << 30, 10_000),
    seen_at_bound_ns: seenCost(100_000, 100_000),
    cache_below_bound_ns: cacheCost(1 << 30, 1_000),
    cache_at_bound_ns: cacheCost(10_000, 10_000),
  };
  say(
    `  seen set (add + 7 lookups): ${figures.seen_below_bound_ns} ns below the bound, ` +
      `${figures.seen_at_bound_ns} ns at 100,000 ids`,
  );
  say(
    `  message cache (put): ${figures.cache_below_bound_ns} ns below the bound, ` +
      `${figures.cache_at_bound_ns} ns at 10,000 messages`,
  );
  return figures;
}

if (import.meta.main) {
  await finish("bounded_tables", { ...runBoundedTablesBench() });
}
