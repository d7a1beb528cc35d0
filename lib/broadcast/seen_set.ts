/**
 * The set of message ids a node has already seen, bounded in entries, that one forged id cannot
 * poison.
 *
 * Ids are held individually and forgotten oldest-first. So that a forgotten id cannot be
 * delivered a second time (a late anti-entropy repair, a replay), forgetting `(origin, seq)`
 * folds it into a per-origin **run**: a range `low..high` of sequence numbers that count as seen.
 * A forgotten id extends a run only when it lies within {@linkcode RUN_WINDOW} of it; otherwise it
 * starts a run of its own. An origin keeps at most {@linkcode MAX_RUNS} runs; when one more is
 * needed, the run that folded the fewest ids is forgotten.
 *
 * Why runs and not one floor per origin: a genuine origin numbers its messages 1, 2, 3, ..., so
 * what it really sent forms one dense run. A single forged id far ahead (sequence 2^24 − 1, say)
 * would, once forgotten, have raised a floor over every later genuine id and silenced that origin
 * for good. Here it becomes a run of one, far from the genuine run, and the genuine ids that follow
 * are judged on their own. What a forger can still do is what any forged id does: claim the exact
 * ids it forged (at most a window's worth beyond a run per forgotten id, since runs grow only by
 * {@linkcode RUN_WINDOW} at a time), which origin signatures prevent.
 *
 * The per-origin table is bounded too (least recently touched origin forgotten first); an origin
 * whose runs are forgotten has not been heard of for a long time.
 *
 * @module
 */

import { FifoQueue } from "../core/fifo_queue.ts";
import { type MessageId, originOf, seqOf } from "../wire/message_id.ts";

/**
 * How far beyond (or before) a run a forgotten id may lie and still extend it. Covers messages
 * forgotten out of order (a late repair) and short gaps of ids this node never saw.
 */
export const RUN_WINDOW = 1024;
/** Runs kept per origin: the genuine one, plus room for a late joiner's and a few forged ones. */
export const MAX_RUNS = 4;

interface Run {
  low: number;
  high: number;
  /** Forgotten ids folded into the run: forged singletons are dropped before genuine runs. */
  count: number;
}

/** A bounded record of seen message ids. */
export class SeenSet {
  #ids = new Set<MessageId>();
  /**
   * The same ids in the order they came. Forgetting reads the oldest from here, not from the
   * set's iterator: a Set keeps its deleted slots until it rehashes, and a fresh iterator walks
   * past all of them, so at the bound each add cost 4 µs (0.4 µs this way). (Holding the ids as
   * sequence numbers per origin was tried too: with 100 origins per node, lookups were 25% slower
   * than in one set of 64-bit ids.)
   */
  #order = new FifoQueue<MessageId>();
  #runs = new Map<number, Run[]>();
  #evictions = 0;
  #runsForgotten = 0;

  /**
   * @param capacity Most ids kept individually.
   * @param maxOrigins Most origins whose runs are kept.
   */
  constructor(readonly capacity: number, readonly maxOrigins: number = 65536) {}

  /** Ids held individually. */
  get size(): number {
    return this.#ids.size;
  }

  /** Ids forgotten to respect the bound. */
  get evictions(): number {
    return this.#evictions;
  }

  /** Runs dropped to respect the per-origin bound (their ids may be accepted again). */
  get runsForgotten(): number {
    return this.#runsForgotten;
  }

  /** True when `id` was seen (or lies in a run of its origin's forgotten ids). */
  has(id: MessageId): boolean {
    if (this.#ids.has(id)) return true;
    if (this.#runs.size === 0) return false;
    const runs = this.#runs.get(originOf(id));
    if (runs === undefined) return false;
    const seq = seqOf(id);
    for (const run of runs) if (seq >= run.low && seq <= run.high) return true;
    return false;
  }

  /** Records `id`; returns false when it was already seen. */
  add(id: MessageId): boolean {
    if (this.has(id)) return false;
    this.#ids.add(id);
    this.#order.push(id);
    if (this.#ids.size > this.capacity) this.#evictOldest();
    return true;
  }

  #evictOldest(): void {
    const oldest = this.#order.shift()!;
    this.#ids.delete(oldest);
    this.#evictions++;
    const origin = originOf(oldest);
    const runs = this.#runs.get(origin) ?? [];
    // Re-insert to keep the origin map in least-recently-touched order for its own bound.
    this.#runs.delete(origin);
    this.#runs.set(origin, runs);
    this.#fold(runs, seqOf(oldest));
    if (this.#runs.size > this.maxOrigins) {
      const forgotten = this.#runs.keys().next().value as number;
      this.#runsForgotten += this.#runs.get(forgotten)!.length;
      this.#runs.delete(forgotten);
    }
  }

  /** Folds the forgotten `seq` into the nearest run within the window, or a new run. */
  #fold(runs: Run[], seq: number): void {
    let near: Run | undefined;
    let distance = Infinity;
    for (const run of runs) {
      const d = seq < run.low ? run.low - seq : seq > run.high ? seq - run.high : 0;
      if (d < distance) {
        near = run;
        distance = d;
      }
    }
    if (near !== undefined && distance <= RUN_WINDOW) {
      near.low = Math.min(near.low, seq);
      near.high = Math.max(near.high, seq);
      near.count++;
      this.#mergeOverlapping(runs, near);
      return;
    }
    runs.push({ low: seq, high: seq, count: 1 });
    if (runs.length > MAX_RUNS) {
      let smallest = 0;
      for (let i = 1; i < runs.length; i++) {
        if (runs[i]!.count < runs[smallest]!.count) smallest = i;
      }
      runs.splice(smallest, 1);
      this.#runsForgotten++;
    }
  }

  /** After `grown` grew, absorbs any run it now reaches within the window. */
  #mergeOverlapping(runs: Run[], grown: Run): void {
    for (let i = runs.length - 1; i >= 0; i--) {
      const other = runs[i]!;
      if (other === grown) continue;
      if (other.low - grown.high > RUN_WINDOW || grown.low - other.high > RUN_WINDOW) continue;
      grown.low = Math.min(grown.low, other.low);
      grown.high = Math.max(grown.high, other.high);
      grown.count += other.count;
      runs.splice(i, 1);
    }
  }
}
