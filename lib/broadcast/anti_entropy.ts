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

import type { EngineContext } from "../engine/context.ts";
import { countDrop } from "../engine/stats.ts";
import type { Address } from "../wire/address.ts";
import { DataFlag, type DigestFrame, FrameType } from "../wire/frame.ts";
import { makeMessageId, type MessageId } from "../wire/message_id.ts";
import { RangeIndex, rangesOf } from "./digest.ts";
import type { MessageCache } from "./message_cache.ts";
import type { SeenSet } from "./seen_set.ts";

/** Sequence numbers a received digest may make us examine. */
const DIGEST_SCAN_BUDGET = 4096;
/** Datagrams' worth of repairs sent in answer to one digest or pull. */
const REPAIR_DATAGRAMS = 8;

/** Digest exchange and repair answers. */
export class AntiEntropy {
  #cursor = 0;
  readonly #idsPerFrame: number;
  readonly #rangesPerFrame: number;

  /**
   * @param ctx The engine's shared state.
   * @param seen What this node has seen.
   * @param cache What this node can repair from.
   */
  constructor(
    readonly ctx: EngineContext,
    readonly seen: SeenSet,
    readonly cache: MessageCache,
  ) {
    this.#idsPerFrame = Math.min(255, Math.floor((ctx.options.maxDatagramSize - 3) / 8));
    this.#rangesPerFrame = Math.min(255, Math.floor((ctx.options.maxDatagramSize - 4) / 11));
  }

  /** Sends a digest (all of the cache, or the next slice when it does not fit) to `peer`. */
  sendDigest(peer: Address): void {
    const ranges = rangesOf(this.cache.ids());
    let frame: DigestFrame;
    if (ranges.length <= this.#rangesPerFrame) {
      frame = { type: FrameType.Digest, complete: true, ranges };
    } else {
      const start = this.#cursor % ranges.length;
      const slice = ranges.slice(start, start + this.#rangesPerFrame);
      this.#cursor = start + slice.length;
      frame = { type: FrameType.Digest, complete: false, ranges: slice };
    }
    this.ctx.outbox.push(peer, frame);
    this.ctx.counters.digestsSent++;
  }

  /** Answers a digest: pull what it has and we lack, push what we have and it lacks. */
  onDigest(frame: DigestFrame, from: Address, now: number): void {
    const wanted: MessageId[] = [];
    let budget = DIGEST_SCAN_BUDGET;
    for (const range of frame.ranges) {
      for (let seq = range.high; seq >= range.low && budget > 0; seq--, budget--) {
        const id = makeMessageId(range.origin, seq);
        if (!this.seen.has(id)) wanted.push(id);
        if (wanted.length >= 2 * this.#idsPerFrame) break;
      }
    }
    if (budget === 0) countDrop(this.ctx.counters, "digest_scan_budget");
    this.requestIds(wanted, from);
    if (!frame.complete) return;
    const index = new RangeIndex(frame.ranges);
    // Messages younger than half a period are probably still travelling the tree to the peer;
    // pushing them now would mostly make duplicates. The next round covers them.
    const settled = now - this.ctx.options.antiEntropyIntervalMs / 2;
    const missing: MessageId[] = [];
    for (const entry of this.cache.values()) {
      if (entry.storedAt > settled) break; // the cache is in age order
      if (!index.covers(entry.id)) missing.push(entry.id);
    }
    this.repair(missing, from);
  }

  /** Sends IWANT for `ids` to `to`, in as many frames as needed. */
  requestIds(ids: readonly MessageId[], to: Address): void {
    for (let i = 0; i < ids.length; i += this.#idsPerFrame) {
      const chunk = ids.slice(i, i + this.#idsPerFrame);
      this.ctx.outbox.push(to, { type: FrameType.IWant, ids: chunk });
      this.ctx.counters.pullsRequested += chunk.length;
    }
  }

  /** Sends the cached payloads of `ids` to `to`, within the repair budget. */
  repair(ids: readonly MessageId[], to: Address): void {
    let budget = REPAIR_DATAGRAMS * this.ctx.options.maxDatagramSize;
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
