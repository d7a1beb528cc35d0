/**
 * Dissemination: how a payload reaches every live node, per the configured mode.
 *
 * - `tree`: Plumtree over the active view (plumtree.ts): eager links carry payloads, lazy links
 *   carry IHAVE ids, duplicates prune, missing payloads graft.
 * - `push` / `pushpull`: on first receipt, push to `fanout` random peers and expect ACKs; short of
 *   a majority, announce the id to more peers, who pull it (ack_tracker.ts).
 * - `pull`, `pushpull`, `tree`: every period, a digest to one random peer (anti_entropy.ts).
 *
 * Every mode dedups through a bounded seen set and repairs from a bounded message cache.
 *
 * @module
 */

import type { EngineContext, PeerEvent } from "../engine/context.ts";
import { countDrop } from "../engine/stats.ts";
import type { Address } from "../wire/address.ts";
import { DataFlag, type DataFrame, type Frame, FrameType } from "../wire/frame.ts";
import {
  makeMessageId,
  MAX_SEQ,
  type MessageId,
  NODE_ID_SPACE,
  originOf,
} from "../wire/message_id.ts";
import { AckTracker } from "./ack_tracker.ts";
import { AntiEntropy } from "./anti_entropy.ts";
import { MessageCache } from "./message_cache.ts";
import { Plumtree } from "./plumtree.ts";
import { SeenSet } from "./seen_set.ts";

/** Peer selection the broadcaster needs from membership. */
export interface PeerSampler {
  /** Up to `count` random peers other than `except`. */
  samplePeers(count: number, except?: Address): Address[];
  /** The symmetric neighbours broadcast trees run over. */
  activePeers(): readonly Address[];
}

/** Broadcast-layer figures reported by `Engine.stats()`. */
export interface BroadcastStats {
  /** Tree links currently eager / lazy. */
  eagerLinks: number;
  /** Tree links currently lazy (only ids flow over them). */
  lazyLinks: number;
  /** PRUNE frames sent (a duplicate arrived over an eager link). */
  prunesSent: number;
  /** GRAFT frames sent (a payload was missing after an IHAVE). */
  graftsSent: number;
  /** IHAVE frames sent to lazy links. */
  ihavesSent: number;
  /** ACK frames sent for pushed payloads. */
  acksSent: number;
  /** ACKs received for this node's pushes. */
  acksReceived: number;
  /** Pushes that fell short of a majority of ACKs and announced the id further. */
  ackFallbacks: number;
  /** Pushes awaiting ACKs; ids awaiting a graft. */
  pendingAcks: number;
  /** Ids awaiting a payload after an IHAVE. */
  pendingGrafts: number;
}

/** Push, tree and anti-entropy dissemination over one seen set and one cache. */
export class Broadcaster {
  readonly seen: SeenSet;
  readonly cache: MessageCache;
  readonly antiEntropy: AntiEntropy;
  readonly plumtree: Plumtree;
  readonly acks: AckTracker;
  #origin: number;
  #seq = 0;
  #nextRound = 0;
  #lastOwn = -Infinity;

  /**
   * @param ctx The engine's shared state.
   * @param peers Where peers come from.
   */
  constructor(readonly ctx: EngineContext, readonly peers: PeerSampler) {
    const o = ctx.options;
    this.seen = new SeenSet(o.seenCapacity);
    this.cache = new MessageCache({
      maxEntries: o.cacheMaxEntries,
      maxBytes: o.cacheMaxBytes,
      maxAgeMs: o.cacheMaxAgeMs,
    });
    this.antiEntropy = new AntiEntropy(ctx, this.seen, this.cache);
    this.plumtree = new Plumtree(ctx);
    this.acks = new AckTracker(ctx, (count, except) => peers.samplePeers(count, except));
    this.#origin = ctx.nodeId;
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
    this.#lastOwn = now;
    this.seen.add(id);
    this.cache.put(id, flags, 0, payload, now);
    if ((flags & DataFlag.Beacon) !== 0) this.ctx.counters.beaconsSent++;
    else this.ctx.counters.published++;
    this.#disseminate({ type: FrameType.Data, flags, id, hops: 0, payload }, undefined, now);
    return id;
  }

  /** Handles a broadcast frame; returns false for frames of other parts. */
  onFrame(frame: Frame, from: Address, now: number): boolean {
    switch (frame.type) {
      case FrameType.Data:
        this.#onData(frame, from, now);
        return true;
      case FrameType.Digest:
        if (this.ctx.options.mode !== "push") this.antiEntropy.onDigest(frame, from, now);
        return true;
      case FrameType.IWant:
        this.antiEntropy.repair(frame.ids, from);
        return true;
      case FrameType.Ack:
        this.acks.onAck(frame.ids, from);
        return true;
      case FrameType.IHave:
        // Pulls it would start (grafts, retried) are contacts of ours: only for proven peers.
        if (this.ctx.isValidated(from)) this.#onIHave(frame.entries, from, now);
        else countDrop(this.ctx.counters, "unproven_ihave");
        return true;
      case FrameType.Prune:
        this.#syncTree();
        this.plumtree.onPrune(from, undefined, now);
        return true;
      case FrameType.TreeLink:
        this.#syncTree();
        if (frame.eager) this.plumtree.onGraft(from, frame.origins, now);
        else this.plumtree.onPrune(from, frame.origins, now);
        return true;
      case FrameType.Graft:
        this.#syncTree();
        this.plumtree.onGraft(from, [...new Set(frame.ids.map(originOf))], now);
        this.antiEntropy.repair(frame.ids, from);
        return true;
      default:
        return false;
    }
  }

  /** A neighbour came up or went down: the tree follows the active view. */
  onPeerEvent(_event: PeerEvent): void {
    this.#syncTree();
  }

  /** Runs due rounds and timers; returns the next time it wants to run. */
  tick(now: number): number {
    this.cache.expire(now);
    let next = this.cache.nextExpiry();
    if (this.ctx.options.mode !== "push") {
      if (now >= this.#nextRound) {
        this.#nextRound = now + this.ctx.options.antiEntropyIntervalMs;
        const [peer] = this.peers.samplePeers(1);
        if (peer) this.antiEntropy.sendDigest(peer, now);
      }
      next = Math.min(next, this.#nextRound);
    }
    next = Math.min(next, this.plumtree.tick(now), this.acks.tick(now), this.#beacon(now));
    return next;
  }

  /**
   * While this node's origin anchors the shared tree, keeps that tree maintained: an empty
   * beacon after `anchorBeaconMs` without a message of its own. Returns when to check again.
   */
  #beacon(now: number): number {
    const every = this.ctx.options.anchorBeaconMs;
    if (this.ctx.options.mode !== "tree" || every === 0) return Infinity;
    if (this.plumtree.links.anchor !== this.#origin) return Infinity;
    if (now - this.#lastOwn >= every) this.publish(new Uint8Array(0), DataFlag.Beacon, now);
    return this.#lastOwn + every;
  }

  /** Lets held IHAVEs ride on datagrams already going to their peers; call before a flush. */
  beforeFlush(): void {
    const mode = this.ctx.options.mode;
    if (mode === "tree" || mode === "pushpull") {
      const outbox = this.ctx.outbox;
      this.plumtree.piggyback((peer) => outbox.has(peer));
    }
  }

  /** Broadcast-layer figures. */
  stats(): BroadcastStats {
    const tree = this.plumtree.counters;
    return {
      eagerLinks: this.plumtree.eager.size,
      lazyLinks: this.plumtree.lazy.size,
      prunesSent: tree.prunesSent,
      graftsSent: tree.graftsSent,
      ihavesSent: tree.ihavesSent,
      acksSent: this.acks.counters.acksSent,
      acksReceived: this.acks.counters.acksReceived,
      ackFallbacks: this.acks.counters.fallbacks,
      pendingAcks: this.acks.size,
      pendingGrafts: this.plumtree.missingCount,
    };
  }

  #onData(frame: DataFrame, from: Address, now: number): void {
    const counters = this.ctx.counters;
    const mode = this.ctx.options.mode;
    const repair = (frame.flags & DataFlag.Repair) !== 0;
    counters.payloadsIn++;
    if (!repair && (mode === "push" || mode === "pushpull")) this.acks.sendAck(frame.id, from);
    if (!this.seen.add(frame.id)) {
      counters.duplicates++;
      if (mode === "tree" && !repair) {
        this.#syncTree();
        this.plumtree.onDuplicate(frame.id, from, now);
      }
      return;
    }
    this.plumtree.received(frame.id);
    const hops = frame.hops + 1;
    const flags = frame.flags & ~DataFlag.Repair;
    this.cache.put(frame.id, flags, hops, frame.payload, now);
    if ((flags & DataFlag.Beacon) === 0) {
      counters.delivered++;
      this.ctx.deliver({
        id: frame.id,
        origin: originOf(frame.id),
        hops,
        flags,
        data: frame.payload.slice(),
        from,
      });
    }
    if (hops >= this.ctx.options.maxHops) {
      countDrop(counters, "hop_limit");
      return;
    }
    this.#disseminate(
      { type: FrameType.Data, flags, id: frame.id, hops, payload: frame.payload },
      from,
      now,
    );
  }

  #onIHave(entries: readonly { id: MessageId; hops: number }[], from: Address, now: number): void {
    const tree = this.ctx.options.mode === "tree";
    if (tree) this.#syncTree();
    const unseen: MessageId[] = [];
    for (const entry of entries) {
      if (!this.seen.has(entry.id)) unseen.push(entry.id);
      else if (tree) {
        const held = this.cache.get(entry.id);
        if (held) this.plumtree.onAnnounceHeld(entry.id, entry.hops, held.hops, from);
      }
    }
    if (unseen.length === 0) return;
    if (tree || this.ctx.options.mode === "pushpull") {
      for (const id of unseen) this.plumtree.onAnnounce(id, from, now);
    } else {
      this.antiEntropy.requestIds(unseen, from);
    }
  }

  #disseminate(frame: DataFrame, except: Address | undefined, now: number): void {
    const mode = this.ctx.options.mode;
    let targets: Address[];
    if (mode === "tree") {
      this.#syncTree();
      targets = this.plumtree.forward(frame.id, frame.hops, except, now);
    } else if (mode === "pull") {
      return;
    } else {
      targets = this.peers.samplePeers(this.ctx.options.fanout, except);
      this.acks.pushed(frame.id, frame.hops, targets, now);
      if (mode === "pushpull") {
        // A fanout-k push misses about e^-k of the nodes, and ACKs cannot tell which: announce
        // the id to the other neighbours too, so a missed node pulls it after one graft timeout
        // instead of waiting for anti-entropy (13 s median at 1,000 nodes before this).
        const pushed = new Set(targets);
        const others = this.peers.activePeers().filter((peer) => !pushed.has(peer));
        this.plumtree.announce(others, frame.id, frame.hops, except, now);
      }
    }
    for (const peer of targets) this.ctx.outbox.push(peer, frame);
    this.ctx.counters.payloadsOut += targets.length;
    this.ctx.counters.payloadBytesOut += targets.length * frame.payload.length;
  }

  #syncTree(): void {
    this.plumtree.sync(this.peers.activePeers());
  }
}
