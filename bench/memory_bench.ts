/**
 * Memory benchmark: heap per engine with its message cache and seen set full at their default
 * bounds, and heap under a flood of valid data frames at 1×, 2× and 4× the seen-set bound (it
 * must stop growing once the bounds are reached).
 *
 * Frames are crafted and handed straight to `engine.receive()` (no sockets): data frames of the
 * largest payload a default 512-byte datagram carries, from one sender address, to an engine
 * with no peers (so nothing is forwarded). Two flood shapes: ids from 64 origins in sequence
 * (a busy cluster) and ids from random origins (hostile).
 *
 * Run alone: `deno run --v8-flags=--expose-gc --allow-read=. --allow-write=bench/out
 * bench/memory_bench.ts` (without --expose-gc heap figures include garbage not yet collected).
 *
 * @module
 */

import { Engine } from "../lib/engine/engine.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { DEFAULT_OPTIONS, maxPayloadSize } from "../lib/options.ts";
import { FrameType } from "../lib/wire/frame.ts";
import { makeMessageId } from "../lib/wire/message_id.ts";
import { finish, say } from "./harness.ts";
import { encodeFrames } from "../lib/core/outbox.ts";

/** Figures of the memory benchmark. */
export interface MemoryFigures {
  /** Whether a forced GC was available (figures are exact only then). */
  gc: boolean;
  payload_bytes: number;
  seen_capacity: number;
  cache_max_entries: number;
  /** Heap growth of one engine filled to its default bounds, MB. */
  heap_per_full_engine_mb: number;
  /** Heap of an empty engine, KB. */
  heap_per_empty_engine_kb: number;
  /** Heap growth (MB) after 1×, 2×, 4× seenCapacity frames, per flood shape. */
  flood: Record<string, { at: string; heap_mb: number; seen: number; cache: number }[]>;
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapMb(): number {
  gc?.();
  gc?.();
  return Deno.memoryUsage().heapUsed / 2 ** 20;
}

function makeEngine(): Engine {
  return new Engine({ rng: seededPrng(7) });
}

/** Crafts the i-th data datagram of a flood. */
function frameFor(i: number, shape: string, payload: Uint8Array): Uint8Array {
  const rnd = seededPrng(i);
  const id = shape === "random_origins"
    ? makeMessageId(Math.floor(rnd() * 2 ** 40), 1 + Math.floor(rnd() * 1000))
    : makeMessageId(1_000 + (i % 64), 1 + Math.floor(i / 64));
  return encodeFrames([{ type: FrameType.Data, flags: 0, id, hops: 1, payload }]);
}

/** Floods one fresh engine; returns the heap growth at each checkpoint. */
function floodOne(shape: string, payload: Uint8Array): MemoryFigures["flood"][string] {
  const bound = DEFAULT_OPTIONS.seenCapacity;
  const start = heapMb();
  let engine: Engine | undefined = makeEngine();
  const points: MemoryFigures["flood"][string] = [];
  let sent = 0;
  let now = 0;
  for (const multiple of [0.1, 0.5, 1, 2, 4]) {
    const target = Math.round(bound * multiple);
    for (; sent < target; sent++) {
      // 10 µs apart: 4× the bound spans 4 s, far inside the cache's 120 s age bound
      now += 0.01;
      engine.receive(frameFor(sent, shape, payload), "10.0.0.2:7946", now);
      engine.ready(); // taken and dropped, as a driver would after sending
    }
    const s = engine.stats();
    const mb = heapMb() - start;
    points.push({
      at: `${multiple}x`,
      heap_mb: Math.round(mb * 10) / 10,
      seen: s.seenEntries,
      cache: s.cacheEntries,
    });
    say(
      `  ${shape.padEnd(15)} after ${String(sent).padStart(6)} frames (${multiple}× bound): ` +
        `heap +${mb.toFixed(1)} MB, seen ${s.seenEntries}, cache ${s.cacheEntries} ` +
        `(${(s.cacheBytes / 2 ** 20).toFixed(1)} MiB), delivered ${s.delivered}`,
    );
  }
  engine = undefined;
  return points;
}

/** Runs the benchmark and prints its figures. */
export function runMemoryBench(): MemoryFigures {
  const bound = DEFAULT_OPTIONS.seenCapacity;
  const size = maxPayloadSize(DEFAULT_OPTIONS.maxDatagramSize);
  const payload = new Uint8Array(size).fill(9);
  say(
    `== memory: default bounds (seen ${bound} ids, cache ${DEFAULT_OPTIONS.cacheMaxEntries} ` +
      `entries / ${DEFAULT_OPTIONS.cacheMaxBytes / 2 ** 20} MiB), ${size} B payloads` +
      (gc ? "" : " — no --expose-gc: figures include uncollected garbage") + " ==",
  );

  const empties: Engine[] = [];
  const h0 = heapMb();
  for (let i = 0; i < 200; i++) empties.push(makeEngine());
  const emptyKb = (heapMb() - h0) * 1024 / empties.length;
  say(`  empty engine: ${emptyKb.toFixed(1)} KB of heap each`);
  empties.length = 0;

  const flood: MemoryFigures["flood"] = {};
  for (const shape of ["64_origins", "random_origins"]) flood[shape] = floodOne(shape, payload);
  const fullMb = flood["64_origins"]!.find((p) => p.at === "1x")!.heap_mb;
  say(`  one engine with cache and seen set full: ${fullMb.toFixed(1)} MB of heap`);
  return {
    gc: gc !== undefined,
    payload_bytes: size,
    seen_capacity: bound,
    cache_max_entries: DEFAULT_OPTIONS.cacheMaxEntries,
    heap_per_full_engine_mb: Math.round(fullMb * 10) / 10,
    heap_per_empty_engine_kb: Math.round(emptyKb * 10) / 10,
    flood,
  };
}

if (import.meta.main) {
  await finish("memory", { ...runMemoryBench() });
}
