/**
 * The history gate: keeps a node that joins (or restarts into) a running cluster from handing its
 * application the messages published before it joined, as Serf's `join(..., ignoreOld)` does
 * with the event clock it learns at join time.
 *
 * Message ids carry no time, but each origin numbers its messages, so a snapshot of the
 * cluster's caches taken at join time says, per origin, how far "before the join" goes. The
 * snapshot is taken during a join window that opens when the node first hears from a peer and
 * lasts `windowMs`:
 *
 * - the first digest (or digest slice) that lists an origin sets that origin's floor to the
 *   highest sequence number it shows, if it arrives in the first half of the window: a snapshot
 *   of the caches as they were at the join, not of what was published since;
 * - the node sends no digest of its own in the window (its empty digest would make every peer
 *   push its whole cache at it). So nodes that start together (a new cluster) send each other
 *   no digests in their windows and learn no floors from each other. In the first half it asks
 *   its active neighbours every period for their digests with an empty incomplete digest (a
 *   no-op for older nodes), which neighbours past their own window answer with their digest,
 *   so the snapshot covers many origins fast;
 * - in the window it pulls only what lies above the floors, nothing of an origin without one
 *   (`clipDigest`); the repair of the rest waits for the window to close;
 * - live evidence makes a message news whatever its number: a copy that came by push rather
 *   than as a repair, or an IHAVE announcement. Old messages are never pushed or announced
 *   again; they only come back as repairs, out of caches.
 *
 * A repair at or below its origin's floor, without live evidence, is history: recorded as seen
 * (and cached by the caller, so digests stop offering it) but neither delivered nor forwarded.
 * Floors are forgotten `keepMs` after the window (by then no cache holds anything older), so the
 * gate costs nothing in steady state.
 *
 * Marks (from a state directory) are floors that never expire and need no window: everything at
 * or below an origin's mark was delivered before a restart and is never delivered again, repair
 * or push.
 *
 * Known limits: a message published during the snapshot that reaches this node only by repair,
 * never announced to it, is taken for history; an old message of an origin that no digest
 * listed during the snapshot (more origins than the digests of the first half-window carry,
 * peers too slow to send one) is taken for news.
 *
 * @module
 */

import type { DigestFrame, SeqRange } from "../wire/frame.ts";
import { type MessageId, originOf, seqOf } from "../wire/message_id.ts";

/** Most live ids remembered during a join window. */
const MAX_LIVE_IDS = 8192;

/** Settings of a {@linkcode HistoryGate}. */
export interface HistoryGateOptions {
  /** True for `history: "none"`: suppress what was published before the join. */
  ignoreOld: boolean;
  /** Length of the join window in ms. */
  windowMs: number;
  /** How long after the window the learned floors are kept (the cache age). */
  keepMs: number;
  /** Most origins tracked (floors and marks each). */
  maxOrigins: number;
}

/** Decides which received messages are history rather than news; see the module doc. */
export class HistoryGate {
  #floors = new Map<number, number>();
  #marks = new Map<number, number>();
  #live = new Set<MessageId>();
  #windowStart: number | undefined;
  #forgotten = false;

  /** @param options Window, retention and bounds. */
  constructor(readonly options: HistoryGateOptions) {}

  /** Adds permanent marks: `seq` and below of `origin` were delivered before. */
  addMarks(marks: Iterable<readonly [number, number]>): void {
    for (const [origin, seq] of marks) {
      if (this.#marks.size >= this.options.maxOrigins && !this.#marks.has(origin)) continue;
      this.#marks.set(origin, Math.max(seq, this.#marks.get(origin) ?? 0));
    }
  }

  /** Notes that a peer was heard from: the join window opens at the first call. */
  heard(now: number): void {
    this.#windowStart ??= now;
  }

  /** True while the join window is open (always false with `ignoreOld` off). */
  inWindow(now: number): boolean {
    return this.options.ignoreOld && this.#windowStart !== undefined && now < this.#windowEnd();
  }

  /** True until the window has opened and closed: this node sends no digests. */
  joining(now: number): boolean {
    return this.options.ignoreOld && (this.#windowStart === undefined || now < this.#windowEnd());
  }

  /** True in the first half of the window, while floors are learned. */
  snapshotting(now: number): boolean {
    return this.inWindow(now) && now < this.#windowStart! + this.options.windowMs / 2;
  }

  #windowEnd(): number {
    return (this.#windowStart ?? Infinity) + this.options.windowMs;
  }

  /**
   * Learns floors from a digest (inside the window) and returns what this node should act on:
   * the digest itself, or, when ranges lay at or below floors, a copy clipped above them and
   * marked incomplete (so nothing is pushed back for the clipped part).
   */
  clipDigest(frame: DigestFrame, now: number): DigestFrame {
    if (!this.inWindow(now)) return frame;
    if (this.snapshotting(now)) {
      const highs = new Map<number, number>();
      for (const range of frame.ranges) {
        highs.set(range.origin, Math.max(range.high, highs.get(range.origin) ?? 0));
      }
      for (const [origin, high] of highs) {
        if (this.#floors.has(origin)) continue;
        this.#floors.set(origin, high);
        if (this.#floors.size > this.options.maxOrigins) {
          this.#floors.delete(this.#floors.keys().next().value!);
        }
      }
    }
    const ranges: SeqRange[] = [];
    let clipped = false;
    for (const range of frame.ranges) {
      if (!this.#floors.has(range.origin) && !this.#marks.has(range.origin)) {
        clipped = true; // no snapshot of this origin yet: pull nothing of it in the window
        continue;
      }
      const floor = this.floorOf(range.origin);
      if (range.low > floor) {
        ranges.push(range);
        continue;
      }
      clipped = true;
      if (range.high > floor) ranges.push({ ...range, low: floor + 1 });
    }
    return clipped ? { type: frame.type, complete: false, ranges } : frame;
  }

  /** Live evidence for `id` (a pushed copy or an IHAVE): inside the window, it is news. */
  onLive(id: MessageId, now: number): void {
    if (!this.inWindow(now)) return;
    if (this.#live.size >= MAX_LIVE_IDS) this.#live.delete(this.#live.values().next().value!);
    this.#live.add(id);
  }

  /** True when the new message `id` (a repair when `repair`) is history: do not deliver it. */
  isHistory(id: MessageId, repair: boolean, now: number): boolean {
    const origin = originOf(id);
    const seq = seqOf(id);
    const mark = this.#marks.get(origin);
    if (mark !== undefined && seq <= mark) return true;
    if (!repair || this.#expired(now) || this.#live.has(id)) return false;
    const floor = this.#floors.get(origin);
    return floor !== undefined && seq <= floor;
  }

  /** The highest sequence number of `origin` this node will never deliver (0: none known). */
  floorOf(origin: number): number {
    return Math.max(this.#marks.get(origin) ?? 0, this.#floors.get(origin) ?? 0);
  }

  /** Origins with a floor learned in the window (not counting marks). */
  get size(): number {
    return this.#floors.size;
  }

  #expired(now: number): boolean {
    if (this.#forgotten) return true;
    if (this.#windowStart === undefined) return false;
    if (now < this.#windowEnd() + this.options.keepMs) return false;
    this.#forgotten = true;
    this.#floors.clear();
    this.#live.clear();
    return true;
  }
}
