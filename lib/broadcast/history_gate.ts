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
 *   highest sequence number it shows, if it arrives in the first half of the window (the
 *   snapshot): a picture of the caches as they were at the join, not of what was published
 *   since. A node that got no digest in the first half (after a crash of many nodes, the
 *   restarted ones often link with each other, and nodes in their windows do not answer)
 *   takes its floors from the first digest later in the window;
 * - the node sends no digest of its own in the window (its empty digest would make every peer
 *   push its whole cache at it). So nodes that start together (a new cluster) send each other
 *   no digests in their windows and learn no floors from each other. During the snapshot (and
 *   later in the window while it has none) it asks its active neighbours every period for
 *   their digests with an empty incomplete digest (a no-op for older nodes), which neighbours
 *   past their own window answer with their digest, so the snapshot covers many origins fast;
 *   a neighbour still in its own window answers with the floors it learned, if any (nodes that
 *   restart together often link only with each other; one of them hearing from a node that
 *   was up is then enough);
 * - in the window it pulls only what lies above the floors, nothing of an origin without one
 *   (`clipDigest`); the repair of the rest waits for the window to close. A repair of an origin
 *   without a floor that comes anyway (a graft) is `undecided`: dropped unseen, to be judged
 *   when it comes again;
 * - live evidence makes a message news whatever its number, and with it every later message of
 *   its origin: a copy that came by push rather than as a repair, or an IHAVE announcement from
 *   an active neighbour (one from another
 *   address may be meant for a predecessor on the same address). Old messages are never pushed
 *   or announced again; they only come back as repairs, out of caches. (Senders help: a link
 *   that went down gets no repeat of its earlier announcements when it comes back, and messages
 *   published while a node had no neighbour are pushed to its first one only before it ever
 *   had one.)
 *
 * A repair at or below its origin's floor, without live evidence, is history: recorded as seen
 * (and cached by the caller, so digests stop offering it) but neither delivered nor forwarded.
 * One wrong call would not stay alone: a node that takes history for news forwards it as a live
 * push, and nodes in their own windows take it for news too.
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
 * peers too slow to send one, no digest at all in the window) is taken for news after the
 * window. Keeping the window open until a first digest came was tried: in a new cluster, where
 * no node can answer, it only delayed everyone's first digests, and at 1,000 nodes and 20% loss
 * delivery broke down (99.9%, six times the datagrams).
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
  // Made at first use: most nodes never have marks, and with `history: "none"` the window never
  // opens, so these stay absent (a 10,000-node simulation paid for 40,000 empty tables).
  #floors: Map<number, number> | undefined;
  #marks: Map<number, number> | undefined;
  #live: Set<MessageId> | undefined;
  /** Per origin, the lowest sequence number seen live in the window: anything above is news. */
  #liveLow: Map<number, number> | undefined;
  #windowStart: number | undefined;
  /** True once a digest was read for floors. */
  #snapshotTaken = false;
  #forgotten = false;

  /** @param options Window, retention and bounds. */
  constructor(readonly options: HistoryGateOptions) {}

  /** Adds permanent marks: `seq` and below of `origin` were delivered before. */
  addMarks(marks: Iterable<readonly [number, number]>): void {
    for (const [origin, seq] of marks) {
      const own = this.#marks ??= new Map();
      if (own.size >= this.options.maxOrigins && !own.has(origin)) continue;
      own.set(origin, Math.max(seq, own.get(origin) ?? 0));
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

  /**
   * True while this node should ask its neighbours for digests: in the first half of the window,
   * and in the second while no digest has come yet (every neighbour may be joining too).
   */
  wantsSnapshot(now: number): boolean {
    return this.snapshotting(now) || (this.inWindow(now) && !this.#snapshotTaken);
  }

  /**
   * The floors this node learned in its window, as ranges of one sequence number each (at most
   * `limit`), for a neighbour that asks for a snapshot while this node is still joining: a
   * joining node's cache holds only what came since it started, but its floors are a snapshot
   * of the caches of nodes that were up. Undefined when it has none to give (in a new cluster,
   * where nobody has history, nobody answers, as before).
   */
  snapshotRanges(limit: number): SeqRange[] | undefined {
    if (this.#floors === undefined || this.#floors.size === 0) return undefined;
    const ranges: SeqRange[] = [];
    for (const [origin, floor] of this.#floors) {
      if (ranges.length >= limit) break;
      if (floor > 0) ranges.push({ origin, low: floor, high: floor });
    }
    return ranges.length > 0 ? ranges : undefined;
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
    // A node that got no digest during the snapshot takes it from the first one that comes.
    if (this.snapshotting(now) || !this.#snapshotTaken) {
      this.#snapshotTaken = true;
      const highs = new Map<number, number>();
      for (const range of frame.ranges) {
        highs.set(range.origin, Math.max(range.high, highs.get(range.origin) ?? 0));
      }
      const floors = this.#floors ??= new Map();
      for (const [origin, high] of highs) {
        if (floors.has(origin)) continue;
        floors.set(origin, high);
        if (floors.size > this.options.maxOrigins) floors.delete(floors.keys().next().value!);
      }
    }
    const ranges: SeqRange[] = [];
    let clipped = false;
    for (const range of frame.ranges) {
      if (!this.#floors?.has(range.origin) && !this.#marks?.has(range.origin)) {
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
    const live = this.#live ??= new Set();
    if (live.size >= MAX_LIVE_IDS) live.delete(live.values().next().value!);
    live.add(id);
    const origin = originOf(id);
    const liveLow = this.#liveLow ??= new Map();
    const low = liveLow.get(origin);
    if (low === undefined && liveLow.size >= this.options.maxOrigins) return;
    if (low === undefined || seqOf(id) < low) liveLow.set(origin, seqOf(id));
  }

  /** True when the new message `id` (a repair when `repair`) is history: do not deliver it. */
  isHistory(id: MessageId, repair: boolean, now: number): boolean {
    const origin = originOf(id);
    const seq = seqOf(id);
    const mark = this.#marks?.get(origin);
    if (mark !== undefined && seq <= mark) return true;
    if (!repair || this.#expired(now) || this.#live?.has(id)) return false;
    const floor = this.#floors?.get(origin);
    if (floor === undefined || seq > floor) return false;
    // Above a message of its origin that came live in the window: published after the join too.
    const low = this.#liveLow?.get(origin);
    return low === undefined || seq < low;
  }

  /**
   * True when a repair of `id` cannot be judged yet: in the window, its origin has no floor
   * (no digest listed it so far) and nothing showed it live. The caller drops it unseen, so it
   * can come again once the snapshot has a floor for it, or after the window as news. Accepting
   * it would deliver history, and forward it as news to other nodes in their windows.
   */
  undecided(id: MessageId, now: number): boolean {
    if (!this.inWindow(now) || this.#live?.has(id)) return false;
    const origin = originOf(id);
    return !this.#floors?.has(origin) && !this.#marks?.has(origin);
  }

  /** The highest sequence number of `origin` this node will never deliver (0: none known). */
  floorOf(origin: number): number {
    return Math.max(this.#marks?.get(origin) ?? 0, this.#floors?.get(origin) ?? 0);
  }

  /** Origins with a floor learned in the window (not counting marks). */
  get size(): number {
    return this.#floors?.size ?? 0;
  }

  #expired(now: number): boolean {
    if (this.#forgotten) return true;
    if (this.#windowStart === undefined) return false;
    if (now < this.#windowEnd() + this.options.keepMs) return false;
    this.#forgotten = true;
    this.#floors = undefined;
    this.#live = undefined;
    this.#liveLow = undefined;
    return true;
  }
}
