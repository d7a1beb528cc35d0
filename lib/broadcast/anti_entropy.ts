/**
 * Push-pull anti-entropy over compact digests.
 *
 * Every period a node sends a digest of its message cache (per-origin sequence ranges, see
 * digest.ts) to one random peer. The peer pulls (IWANT) what the digest has and it lacks, and,
 * when the digest is complete, pushes back what it holds and the digest lacks: one exchange
 * repairs both sides. Work per digest is bounded: at most `DIGEST_SCAN_BUDGET` sequence numbers
 * examined (a hostile range cannot make us loop), and `REPAIR_DATAGRAMS` datagrams of repairs.
 *
 * @module
 */

import type { EngineContext } from "../core/context.ts";
import { countDrop } from "../core/stats.ts";
import type { Address } from "../wire/address.ts";
import { DataFlag, type DigestFrame, FrameType, type SeqRange } from "../wire/frame.ts";
import { makeMessageId, type MessageId } from "../wire/message_id.ts";
import { RangeIndex, rangesOf } from "./digest.ts";
import type { CachedMessage, MessageCache } from "./message_cache.ts";
import type { SeenSet } from "./seen_set.ts";

/** Sequence numbers a received digest may make us examine. */
const DIGEST_SCAN_BUDGET = 4096;
/** Datagrams' worth of repairs sent in answer to one digest or pull. */
const REPAIR_DATAGRAMS = 8;

/** Digest exchange and repair answers. */
export class AntiEntropy {
  #cursor = 0;

  /**
   * @param ctx The engine's shared state.
   * @param seen What this node has seen.
   * @param cache What this node can repair from.
   */
  constructor(
    readonly ctx: EngineContext,
    readonly seen: SeenSet,
    readonly cache: MessageCache,
  ) {}

  // Frames are sized for the peer's datagram limit (mixed limits: it may accept less than us).
  #idsPerFrame(peer: Address): number {
    return Math.min(255, Math.floor((this.ctx.outbox.limitFor(peer) - 3) / 8));
  }

  /** Digest ranges that fit one datagram to `peer`. */
  rangesPerFrame(peer: Address): number {
    return Math.min(255, Math.floor((this.ctx.outbox.limitFor(peer) - 4) / 11));
  }

  /**
   * Sends a digest to `peer`: all of the cache when it fits; otherwise a windowed slice. The
   * first half of a slice lists the newest messages, all of them back to some age, and says so
   * (`windowMs`), so the receiver can push back whatever it stored in that window and the digest
   * lacks, even a message of an origin the digest does not name (the usual case of a node that
   * missed a message: it holds nothing at all of that origin). The other half rotates over the
   * older ranges. Before windows, a slice could not ask for anything: with 100 origins cached, a
   * node missing a message waited seconds for a peer's slice to happen to include it.
   */
  sendDigest(peer: Address, now: number): void {
    const ranges = rangesOf(this.cache);
    let frame: DigestFrame;
    const perFrame = this.rangesPerFrame(peer);
    if (ranges.length <= perFrame) {
      frame = { type: FrameType.Digest, complete: true, ranges };
    } else {
      frame = this.#windowedSlice(ranges, perFrame, now);
    }
    this.ctx.outbox.push(peer, frame);
    this.ctx.counters.digestsSent++;
  }

  #windowedSlice(all: SeqRange[], perFrame: number, now: number): DigestFrame {
    // Newest first, whole ranges of every id seen, until half the frame is used.
    const budget = Math.max(1, Math.floor((perFrame - 1) / 2));
    const cache = this.cache;
    const recent: CachedMessage[] = [];
    const origins = new Set<number>();
    let windowStart = now;
    for (let i = cache.size - 1; i >= 0; i--) {
      const entry = cache.at(i)!;
      const origin = entry.origin;
      if (!origins.has(origin)) {
        if (origins.size >= budget) break;
        origins.add(origin);
      }
      recent.push(entry);
      windowStart = entry.storedAt;
    }
    let windowed = rangesOf(recent);
    if (windowed.length > budget) windowed = windowed.slice(0, budget);
    const complete = windowed.length <= budget;
    const rest = perFrame - windowed.length;
    const start = this.#cursor % all.length;
    const rotating = all.slice(start, start + rest);
    this.#cursor = start + rotating.length;
    const ranges = [...windowed, ...rotating];
    // The window ends just after the oldest id listed whole; it is honest only when every id
    // newer than that fitted.
    return complete && windowStart < now
      ? { type: FrameType.Digest, complete: false, windowMs: now - windowStart, ranges }
      : { type: FrameType.Digest, complete: false, ranges };
  }

  /** Answers a digest: pull what it has and we lack, push what we have and it lacks. */
  onDigest(frame: DigestFrame, from: Address, now: number): void {
    const wanted: MessageId[] = [];
    const idsPerFrame = this.#idsPerFrame(from);
    let budget = DIGEST_SCAN_BUDGET;
    for (const range of frame.ranges) {
      for (let seq = range.high; seq >= range.low && budget > 0; seq--, budget--) {
        const id = makeMessageId(range.origin, seq);
        if (!this.seen.has(id)) wanted.push(id);
        if (wanted.length >= 2 * idsPerFrame) break;
      }
    }
    if (budget === 0) countDrop(this.ctx.counters, "digest_scan_budget");
    this.requestIds(wanted, from);
    if (!frame.complete && frame.windowMs === undefined) return;
    const index = new RangeIndex(frame.ranges);
    // Messages younger than half a period are probably still travelling the tree to the peer;
    // pushing them now would mostly make duplicates. The next round covers them.
    const settled = now - this.ctx.options.antiEntropyIntervalMs / 2;
    // A windowed slice speaks only for the last windowMs (less a margin for clocks that ran
    // apart by a transit time: a message near the edge may have been stored earlier there).
    const since = frame.complete ? -Infinity : now - frame.windowMs! * 0.9;
    const missing: MessageId[] = [];
    for (let i = 0; i < this.cache.size; i++) {
      const entry = this.cache.at(i)!;
      if (entry.storedAt > settled) break; // the cache is in age order
      if (entry.storedAt < since) continue;
      if (!index.covers(entry.origin, entry.seq)) missing.push(entry.id);
    }
    this.repair(missing, from);
  }

  /** Sends IWANT for `ids` to `to`, in as many frames as needed. */
  requestIds(ids: readonly MessageId[], to: Address): void {
    const perFrame = this.#idsPerFrame(to);
    for (let i = 0; i < ids.length; i += perFrame) {
      const chunk = ids.slice(i, i + perFrame);
      this.ctx.outbox.push(to, { type: FrameType.IWant, ids: chunk });
      this.ctx.counters.pullsRequested += chunk.length;
    }
  }

  /** Sends the cached payloads of `ids` to `to`, within the repair budget. */
  repair(ids: readonly MessageId[], to: Address): void {
    let budget = REPAIR_DATAGRAMS * this.ctx.outbox.limitFor(to);
    for (const id of ids) {
      const entry = this.cache.get(id);
      if (!entry) continue;
      budget -= entry.payload.length + 14;
      if (budget < 0) {
        countDrop(this.ctx.counters, "repair_budget");
        return;
      }
      this.ctx.outbox.push(to, {
        type: FrameType.Data,
        flags: entry.flags | DataFlag.Repair,
        id,
        hops: entry.hops,
        payload: entry.payload,
      });
      this.ctx.counters.payloadsOut++;
      this.ctx.counters.payloadBytesOut += entry.payload.length;
      this.ctx.counters.repairsSent++;
    }
  }
}
