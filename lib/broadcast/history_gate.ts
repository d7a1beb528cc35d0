/**
 * The history gate: keeps a node that joins (or restarts into) a running cluster from handing its
 * application the messages published before it joined, as Serf's `join(..., ignoreOld)` does
 * with its event clock.
 *
 * Message ids carry no time, so "before the join" is learned from the cluster during a join
 * window that opens when the node first hears broadcast traffic and lasts `windowMs`:
 *
 * - the first digest that lists an origin sets that origin's floor to the highest sequence
 *   number it shows (everything at or below was already published and cached);
 * - the first live copy of an origin's message (an eager push or an IHAVE announcement) sets the
 *   floor just below it, unless a digest came first; live ids are remembered as new;
 * - a repair (answer to a digest or pull) of an origin with no floor yet is history: peers push
 *   their caches to a node whose digest is empty. Such origins get a provisional floor that
 *   rises with every repaired sequence number until a digest or a live copy fixes it.
 *
 * A message is history when its sequence number is at or below its origin's floor and it was not
 * announced live in the window. History is recorded as seen (and cached, so digests stop pushing
 * it) but neither delivered nor forwarded. Floors are forgotten `keepMs` after the window (by
 * then no cache holds anything older), so the gate costs nothing in steady state.
 *
 * Marks (from a state directory) are floors that do not expire: everything at or below an
 * origin's mark was delivered before a restart and is never delivered again.
 *
 * Known limit: a message published during the window that reaches this node only by repair,
 * never by push or announcement, is taken for history.
 *
 * @module
 */

import { type MessageId, originOf, seqOf } from "../wire/message_id.ts";
import type { SeqRange } from "../wire/frame.ts";

/** Most live ids remembered during a join window. */
const MAX_LIVE_IDS = 4096;

interface Floor {
  seq: number;
  /** Set from repairs only: rises with them until a digest or a live copy fixes it. */
  provisional: boolean;
}

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
  #floors = new Map<number, Floor>();
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

  /** Notes that broadcast traffic was heard: the join window opens at the first call. */
  heard(now: number): void {
    this.#windowStart ??= now;
  }

  /** True while the join window is open. */
  inWindow(now: number): boolean {
    return this.options.ignoreOld && this.#windowStart !== undefined &&
      now < this.#windowStart + this.options.windowMs;
  }

  /** Learns floors from a digest's ranges (inside the window only). */
  onDigest(ranges: readonly SeqRange[], now: number): void {
    if (!this.inWindow(now)) return;
    const highs = new Map<number, number>();
    for (const range of ranges) {
      highs.set(range.origin, Math.max(range.high, highs.get(range.origin) ?? 0));
    }
    for (const [origin, high] of highs) {
      const floor = this.#floors.get(origin);
      if (floor === undefined) this.#setFloor(origin, high);
      else if (floor.provisional) this.#floors.set(origin, { seq: high, provisional: false });
    }
  }

  /** A live copy or announcement of `id` (inside the window: it is news). */
  onLive(id: MessageId, now: number): void {
    if (!this.inWindow(now)) return;
    if (this.#live.size >= MAX_LIVE_IDS) this.#live.delete(this.#live.values().next().value!);
    this.#live.add(id);
    const origin = originOf(id);
    const floor = this.#floors.get(origin);
    if (floor === undefined || floor.provisional) {
      const below = seqOf(id) - 1;
      this.#floors.set(origin, { seq: Math.max(0, below), provisional: false });
      if (floor === undefined) this.#trim();
    }
  }

  /** True when `id` (a repair when `repair`) is history: record it, do not deliver it. */
  isHistory(id: MessageId, repair: boolean, now: number): boolean {
    const origin = originOf(id);
    const seq = seqOf(id);
    const mark = this.#marks.get(origin);
    if (mark !== undefined && seq <= mark) return true;
    if (!this.options.ignoreOld || this.#live.has(id) || this.#expired(now)) return false;
    const floor = this.#floors.get(origin);
    if (floor === undefined) {
      if (!repair || !this.inWindow(now)) return false;
      this.#setFloor(origin, seq, true);
      return true;
    }
    if (floor.provisional && repair && this.inWindow(now)) {
      floor.seq = Math.max(floor.seq, seq);
      return true;
    }
    return seq <= floor.seq;
  }

  /** The highest sequence number of `origin` this node will never deliver (0: none known). */
  floorOf(origin: number): number {
    return Math.max(this.#marks.get(origin) ?? 0, this.#floors.get(origin)?.seq ?? 0);
  }

  /** Origins with a floor learned in the window (not counting marks). */
  get size(): number {
    return this.#floors.size;
  }

  #setFloor(origin: number, seq: number, provisional = false): void {
    this.#floors.set(origin, { seq, provisional });
    this.#trim();
  }

  #trim(): void {
    if (this.#floors.size > this.options.maxOrigins) {
      this.#floors.delete(this.#floors.keys().next().value!);
    }
  }

  #expired(now: number): boolean {
    if (this.#forgotten) return true;
    if (this.#windowStart === undefined) return false;
    if (now < this.#windowStart + this.options.windowMs + this.options.keepMs) return false;
    this.#forgotten = true;
    this.#floors.clear();
    this.#live.clear();
    return true;
  }
}
