/**
 * Dissemination: push on first receipt, and anti-entropy so that what push missed still arrives.
 *
 * Push: a new message goes to `fanout` random peers; every node forwards it the same way the
 * first time it sees it (infect and forward once), up to `maxHops`. Push alone misses about
 * e^-fanout of the nodes (5% at fanout 3), and loss misses more, so every period each node sends
 * a digest of its message cache to one random peer. The peer asks (IWANT) for what the digest
 * has and it lacks, and, when the digest is complete, sends back what it has and the digest
 * lacks: one exchange repairs both sides (push-pull anti-entropy).
 *
 * @module
 */

import type { EngineContext, PeerEvent } from "../engine/context.ts";
import { countDrop } from "../engine/stats.ts";
import type { Address } from "../wire/address.ts";
import {
  DataFlag,
  type DataFrame,
  type DigestFrame,
  type Frame,
  FrameType,
  type IdListFrame,
} from "../wire/frame.ts";
import { makeMessageId, MAX_SEQ, type MessageId, NODE_ID_SPACE } from "../wire/message_id.ts";
import { RangeIndex, rangesOf } from "./digest.ts";
import { MessageCache } from "./message_cache.ts";
import { SeenSet } from "./seen_set.ts";

/** Peer selection the broadcaster needs from membership. */
export interface PeerSampler {
  /** Up to `count` random peers other than `except`. */
  samplePeers(count: number, except?: Address): Address[];
  /** The symmetric neighbours broadcast trees run over. */
  activePeers(): readonly Address[];
}

/** Sequence numbers a received digest may make us examine, against hostile huge ranges. */
const DIGEST_SCAN_BUDGET = 4096;
/** Datagrams' worth of repairs sent in answer to one digest or pull. */
const REPAIR_DATAGRAMS = 8;

/** Push dissemination plus digest anti-entropy. */
export class Broadcaster {
  readonly seen: SeenSet;
  readonly cache: MessageCache;
  #origin: number;
  #seq = 0;
  #nextRound = 0;
  #digestCursor = 0;
  readonly #idsPerFrame: number;
  readonly #rangesPerFrame: number;

  /**
   * @param ctx The engine's shared state.
   * @param peers Where random peers come from.
   */
  constructor(readonly ctx: EngineContext, readonly peers: PeerSampler) {
    const o = ctx.options;
    this.seen = new SeenSet(o.seenCapacity);
    this.cache = new MessageCache({
      maxEntries: o.cacheMaxEntries,
      maxBytes: o.cacheMaxBytes,
      maxAgeMs: o.cacheMaxAgeMs,
    });
    this.#origin = ctx.nodeId;
    this.#idsPerFrame = Math.min(255, Math.floor((o.maxDatagramSize - 3) / 8));
    this.#rangesPerFrame = Math.min(255, Math.floor((o.maxDatagramSize - 4) / 11));
  }

  /** Schedules the first anti-entropy round. */
  start(now: number): void {
    this.#nextRound = now + this.ctx.options.antiEntropyIntervalMs;
  }

  /** The id the next {@linkcode publish} will use. */
  nextMessageId(): MessageId {
    if (this.#seq >= MAX_SEQ) {
      // Out of sequence numbers: continue under a fresh origin id.
      this.#origin = Math.floor(this.ctx.rng() * NODE_ID_SPACE);
      this.#seq = 0;
    }
    return makeMessageId(this.#origin, this.#seq + 1);
  }

  /** Publishes a payload the caller has already checked for size. */
  publish(payload: Uint8Array, flags: number, now: number): MessageId {
    const id = this.nextMessageId();
    this.#seq++;
    this.seen.add(id);
    this.cache.put(id, flags, 0, payload, now);
    this.ctx.counters.published++;
    this.#push({ type: FrameType.Data, flags, id, hops: 0, payload }, undefined);
    return id;
  }

  /** Handles a broadcast frame; returns false for frames of other parts. */
  onFrame(frame: Frame, from: Address, now: number): boolean {
    switch (frame.type) {
      case FrameType.Data:
        this.#onData(frame, from, now);
        return true;
      case FrameType.Digest:
        this.#onDigest(frame, from);
        return true;
      case FrameType.IWant:
        this.#repair(frame.ids, from);
        return true;
      case FrameType.Ack:
      case FrameType.IHave:
      case FrameType.Prune:
      case FrameType.Graft:
        return true;
      default:
        return false;
    }
  }

  /** A neighbour came up or went down. */
  onPeerEvent(_event: PeerEvent): void {}

  /** Runs the anti-entropy round when due; returns the next time it wants to run. */
  tick(now: number): number {
    this.cache.expire(now);
    if (now >= this.#nextRound) {
      this.#nextRound = now + this.ctx.options.antiEntropyIntervalMs;
      const [peer] = this.peers.samplePeers(1);
      if (peer) this.#sendDigest(peer);
    }
    return Math.min(this.#nextRound, this.cache.nextExpiry());
  }

  #onData(frame: DataFrame, from: Address, now: number): void {
    const counters = this.ctx.counters;
    counters.payloadsIn++;
    if (!this.seen.add(frame.id)) {
      counters.duplicates++;
      return;
    }
    const hops = frame.hops + 1;
    const flags = frame.flags & ~DataFlag.Repair;
    this.cache.put(frame.id, flags, hops, frame.payload, now);
    counters.delivered++;
    this.ctx.deliver({
      id: frame.id,
      origin: Number(frame.id >> 24n),
      hops,
      flags,
      data: frame.payload.slice(),
      from,
    });
    if (hops >= this.ctx.options.maxHops) {
      countDrop(counters, "hop_limit");
      return;
    }
    this.#push({ type: FrameType.Data, flags, id: frame.id, hops, payload: frame.payload }, from);
  }

  #push(frame: DataFrame, except: Address | undefined): void {
    for (const peer of this.peers.samplePeers(this.ctx.options.fanout, except)) {
      this.ctx.outbox.push(peer, frame);
      this.ctx.counters.payloadsOut++;
    }
  }

  #sendDigest(peer: Address): void {
    const ranges = rangesOf(this.cache.ids());
    let frame: DigestFrame;
    if (ranges.length <= this.#rangesPerFrame) {
      frame = { type: FrameType.Digest, complete: true, ranges };
    } else {
      const start = this.#digestCursor % ranges.length;
      const slice = ranges.slice(start, start + this.#rangesPerFrame);
      this.#digestCursor = start + slice.length;
      frame = { type: FrameType.Digest, complete: false, ranges: slice };
    }
    this.ctx.outbox.push(peer, frame);
    this.ctx.counters.digestsSent++;
  }

  #onDigest(frame: DigestFrame, from: Address): void {
    // Pull what the digest has and we lack, newest first, within a scan budget.
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
    for (let i = 0; i < wanted.length; i += this.#idsPerFrame) {
      const ids = wanted.slice(i, i + this.#idsPerFrame);
      const pull: IdListFrame = { type: FrameType.IWant, ids };
      this.ctx.outbox.push(from, pull);
      this.ctx.counters.pullsRequested += ids.length;
    }
    // Push what we hold and a complete digest lacks.
    if (!frame.complete) return;
    const index = new RangeIndex(frame.ranges);
    const missing: MessageId[] = [];
    for (const entry of this.cache.values()) if (!index.covers(entry.id)) missing.push(entry.id);
    this.#repair(missing, from);
  }

  #repair(ids: readonly MessageId[], to: Address): void {
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
      this.ctx.counters.repairsSent++;
    }
  }
}
