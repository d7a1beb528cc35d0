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

import type { EngineContext, PeerEvent } from "../core/context.ts";
import { countDrop } from "../core/stats.ts";
import type { Address } from "../wire/address.ts";
import { DataFlag, type DataFrame, type Frame, FrameType } from "../wire/frame.ts";
import {
  makeMessageId,
  MAX_SEQ,
  type MessageId,
  NODE_ID_SPACE,
  originOf,
  seqOf,
} from "../wire/message_id.ts";
import { AckTracker } from "./ack_tracker.ts";
import { ECHO_HOPS } from "./announcements.ts";
import { AnchorRole, termOf, termPayload } from "./anchor_role.ts";
import { AntiEntropy } from "./anti_entropy.ts";
import type { BroadcastStats } from "./broadcast_stats.ts";
import { HistoryGate } from "./history_gate.ts";
import type { OrderedDelivery } from "./ordered_delivery.ts";
import { MessageCache } from "./message_cache.ts";
import { Plumtree } from "./plumtree.ts";
import { chunkMessageEndOf, chunkMessageOf, type Reassembly } from "./reassembly.ts";
import { Handover } from "./handover.ts";
import { ChunkTargets } from "./chunking.ts";
import { SeenSet } from "./seen_set.ts";
import { TreeCensus } from "./tree_census.ts";

export type { BroadcastStats } from "./broadcast_stats.ts";

/** Peer selection the broadcaster needs from membership. */
export interface PeerSampler {
  /** Up to `count` random peers other than `except`. */
  samplePeers(count: number, except?: Address): Address[];
  /** The symmetric neighbours broadcast trees run over. */
  activePeers(): readonly Address[];
}

/** Own messages remembered when published with no neighbour to send them to. */
const MAX_UNSENT = 64;

/** Join window of the history gate, in anti-entropy periods. */
const JOIN_WINDOW_PERIODS = 6;
/** Origins the history gate and the ordered stage track at most. */
const MAX_TRACKED_ORIGINS = 65536;

/** Push, tree and anti-entropy dissemination over one seen set and one cache. */
export class Broadcaster {
  readonly seen: SeenSet;
  readonly cache: MessageCache;
  readonly antiEntropy: AntiEntropy;
  readonly plumtree: Plumtree;
  /** When this node claims, beacons, reroots and hands over the shared tree. */
  readonly anchor: AnchorRole;
  /** This node's part in counting the shared tree after each rerooting message. */
  readonly census: TreeCensus;
  readonly acks: AckTracker;
  /** Decides what is history to a node that joined late (see history_gate.ts). */
  readonly history: HistoryGate;
  /** The ordered delivery stage, when `ordered` is set. */
  readonly ordered: OrderedDelivery | undefined;
  /** Chunked messages being reassembled (see chunking.ts, reassembly.ts). */
  readonly reassembly: Reassembly;
  /** Reassembly and ordering in front of the application. */
  readonly handover: Handover;
  #origin: number;
  #seq = 0;
  /** Own messages published before any neighbour was up: pushed live to the first one. */
  #unsent: DataFrame[] = [];
  /** True once any neighbour came up. */
  #linked = false;
  #nextRound = 0;
  readonly #chunkTargets = new ChunkTargets();

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
    this.anchor = new AnchorRole(ctx, this.plumtree.links);
    this.census = new TreeCensus(
      ctx,
      this.plumtree.links,
      (result, now) => this.anchor.onCensus(this.#origin, result, now),
      (frame, now) => this.anchor.takeOver(frame, now),
    );
    this.acks = new AckTracker(ctx, (count, except) => peers.samplePeers(count, except));
    this.#origin = ctx.nodeId;
    this.history = new HistoryGate({
      ignoreOld: o.history === "none",
      windowMs: JOIN_WINDOW_PERIODS * o.antiEntropyIntervalMs,
      keepMs: o.cacheMaxAgeMs,
      maxOrigins: MAX_TRACKED_ORIGINS,
    });
    this.handover = new Handover(
      ctx,
      (origin) => this.history.floorOf(origin) + 1,
      MAX_TRACKED_ORIGINS,
    );
    this.ordered = this.handover.ordered;
    this.reassembly = this.handover.reassembly;
  }

  /** Schedules the first anti-entropy round. */
  start(now: number): void {
    this.anchor.start(now);
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

  /** Takes the next id for a later {@linkcode publish} with it (a signed message's). */
  reserveId(): MessageId {
    const id = this.nextMessageId();
    this.#seq++;
    return id;
  }

  /**
   * Publishes a payload the caller has already checked for size, under the next id or under
   * `reserved` (from {@linkcode reserveId}).
   */
  publish(payload: Uint8Array, flags: number, now: number, reserved?: MessageId): MessageId {
    const id = reserved ?? this.nextMessageId();
    flags = this.anchor.flagsFor(originOf(id), flags, now);
    if (reserved === undefined) this.#seq++;
    this.seen.add(id);
    this.cache.put(id, flags, 0, payload, now);
    if ((flags & DataFlag.Beacon) !== 0) this.ctx.counters.beaconsSent++;
    else if ((flags & DataFlag.Chunk) === 0) this.ctx.counters.published++;
    const frame: DataFrame = { type: FrameType.Data, flags, id, hops: 0, payload };
    // Only before the first neighbour ever: a node that lost its neighbours later still sends
    // digests to its passive view, so its messages spread by repair; pushing them live to the
    // next neighbour, maybe much later, would show them as news to a node that joined since.
    if (
      !this.#linked && this.peers.activePeers().length === 0 && this.#unsent.length < MAX_UNSENT
    ) {
      this.#unsent.push(frame);
    }
    this.#disseminate(frame, undefined, now);
    return id;
  }

  /**
   * Publishes the chunks of one large message (from chunking.ts) under consecutive sequence
   * numbers of one origin; returns the last chunk's id, which is the message's id.
   */
  publishChunks(chunks: readonly Uint8Array[], now: number): MessageId {
    if (this.#seq + chunks.length > MAX_SEQ) this.#seq = MAX_SEQ; // next id: a fresh origin
    let id = this.nextMessageId();
    for (const chunk of chunks) id = this.publish(chunk, DataFlag.Chunk, now);
    this.ctx.counters.published++;
    return id;
  }

  /** Handles a broadcast frame; returns false for frames of other parts. */
  onFrame(frame: Frame, from: Address, now: number): boolean {
    switch (frame.type) {
      case FrameType.Data:
        this.#onData(frame, from, now);
        return true;
      case FrameType.Digest:
        if (this.ctx.options.mode === "push") return true;
        if (!frame.complete && frame.ranges.length === 0) {
          // An empty slice asks for our digest: a joining node's snapshot (history_gate.ts).
          // Answered only to neighbours of the active view (a completed handshake), so that a
          // 4-byte request from a spoofed address reflects nothing. (Answering any proven
          // address too was tried: in a new cluster of 1,000 nodes at 20% loss, full delivery
          // then took 2.5 times as long.)
          if (!this.peers.activePeers().includes(from)) return true;
          if (!this.history.joining(now)) this.antiEntropy.sendDigest(from, now);
          else {
            // Joining too: pass on the snapshot it took, if any. Nodes that restart together
            // often link only with each other, and one left without a snapshot takes every old
            // message repaired to it after its window for news (crash test, seed 7).
            const ranges = this.history.snapshotRanges(this.antiEntropy.rangesPerFrame(from));
            if (ranges) {
              this.ctx.outbox.push(from, { type: FrameType.Digest, complete: false, ranges });
            }
          }
          return true;
        }
        this.antiEntropy.onDigest(this.history.clipDigest(frame, now), from, now);
        return true;
      case FrameType.IWant:
        this.antiEntropy.repair(frame.ids, from);
        return true;
      case FrameType.Ack:
        this.acks.onAck(frame.ids, from);
        return true;
      case FrameType.IHave:
        // Pulls it would start (grafts, retried) are contacts of ours: only for proven peers.
        if (this.ctx.isValidated(from)) {
          // Only a neighbour's announcement is live evidence: one from an address that has not
          // linked with this incarnation may be meant for its predecessor (sent before the
          // sender noticed the restart), about messages published before this node joined.
          if (this.history.inWindow(now) && this.peers.activePeers().includes(from)) {
            for (const entry of frame.entries) this.history.onLive(entry.id, now);
          }
          this.#onIHave(frame.entries, from, now);
        } else {
          countDrop(this.ctx.counters, "unproven_ihave");
        }
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
      case FrameType.TreeCensus:
        if (this.ctx.options.mode !== "tree") return true;
        this.#syncTree();
        this.census.onFrame(frame, from, now);
        return true;
      default:
        return false;
    }
  }

  /**
   * A neighbour came up or went down: the tree follows the active view. Own messages published
   * while this node had no neighbour go to the first one as live pushes, so that they spread as
   * news (a node in its join window takes what only arrives by repair for history).
   */
  onPeerEvent(event: PeerEvent): void {
    this.#syncTree();
    // Up or down, the link is new: nothing meant for the one before goes over it.
    this.plumtree.announcements.forgetPeer(event.address);
    if (event.type !== "up") return;
    this.#linked = true;
    if (this.#unsent.length === 0) return;
    for (const frame of this.#unsent) {
      if (!this.cache.get(frame.id)) continue; // expired meanwhile: history by now
      this.ctx.outbox.push(event.address, frame);
      this.ctx.counters.payloadsOut++;
      this.ctx.counters.payloadBytesOut += frame.payload.length;
    }
    this.#unsent = [];
  }

  /** Runs due rounds and timers; returns the next time it wants to run. */
  tick(now: number): number {
    this.cache.expire(now);
    this.reassembly.expire(now);
    let next = Math.min(this.cache.nextExpiry(), this.reassembly.nextExpiry());
    if (this.ctx.options.mode !== "push") {
      if (now >= this.#nextRound) {
        this.#nextRound = now + this.ctx.options.antiEntropyIntervalMs;
        const [peer] = this.peers.samplePeers(1);
        // A joining node's empty digest would pull every cache at it (see history_gate.ts);
        // while it takes its snapshot, it asks its neighbours for their digests instead.
        if (peer && !this.history.joining(now)) this.antiEntropy.sendDigest(peer, now);
        if (this.history.wantsSnapshot(now)) {
          for (const neighbour of this.peers.activePeers()) {
            this.ctx.outbox.push(neighbour, {
              type: FrameType.Digest,
              complete: false,
              ranges: [],
            });
          }
        }
      }
      next = Math.min(next, this.#nextRound);
    }
    next = Math.min(next, this.plumtree.tick(now), this.acks.tick(now), this.#beacon(now));
    next = Math.min(next, this.census.tick(now));
    next = Math.min(next, this.reassembly.pull(now, (to, ids) => this.#pullChunks(to, ids)));
    if (this.ordered) next = Math.min(next, this.ordered.tick(now));
    return next;
  }

  /** Sends the anchor's beacon when one is due (anchor_role.ts); returns when to check again. */
  #beacon(now: number): number {
    const { beacon, term, next } = this.anchor.due(this.#origin, now);
    if (beacon !== undefined) this.publish(termPayload(term), beacon, now);
    return next;
  }

  /** Lets held IHAVEs ride on datagrams already going to their peers; call before a flush. */
  beforeFlush(): void {
    const mode = this.ctx.options.mode;
    if (mode === "tree" || mode === "pushpull") {
      const outbox = this.ctx.outbox;
      this.plumtree.announcements.piggyback((peer) => outbox.has(peer));
    }
  }

  /** Broadcast-layer figures at `now` (the join window depends on it). */
  stats(now = Infinity): BroadcastStats {
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
      pendingOrdered: this.ordered?.held ?? 0,
      pendingJoinWindow: this.history.joining(now) ? 1 : 0,
      optimized: tree.optimized,
    };
  }

  #onData(frame: DataFrame, from: Address, now: number): void {
    const counters = this.ctx.counters;
    const mode = this.ctx.options.mode;
    const repair = (frame.flags & DataFlag.Repair) !== 0;
    counters.payloadsIn++;
    if (!repair && (mode === "push" || mode === "pushpull")) this.acks.sendAck(frame.id, from);
    if (repair && this.history.undecided(frame.id, now)) {
      countDrop(counters, "history_undecided"); // not seen: it may come again, then judged
      return;
    }
    if (!this.seen.add(frame.id)) {
      counters.duplicates++;
      if (mode === "tree" && !repair) {
        this.#syncTree();
        this.plumtree.onDuplicate(frame.id, from, now, chunkMessageOf(frame));
        if ((frame.flags & DataFlag.Reroot) !== 0) {
          this.census.copy(originOf(frame.id), seqOf(frame.id), from, frame.hops + 1, now);
        }
      }
      return;
    }
    this.plumtree.received(frame.id, now, from, repair);
    this.anchor.heard(originOf(frame.id), now);
    const hops = frame.hops + 1;
    const flags = frame.flags & ~DataFlag.Repair;
    this.cache.put(frame.id, flags, hops, frame.payload, now);
    const delivery = {
      id: frame.id,
      origin: originOf(frame.id),
      hops,
      flags,
      data: frame.payload.slice(),
      from,
    };
    // The chunks of a message are news or history together, judged by its first chunk's id (the
    // one announced); else a joining node could take some chunks for history and never finish.
    const judged = chunkMessageOf(frame) ?? frame.id;
    if (!repair) this.history.onLive(judged, now);
    if (this.history.isHistory(judged, repair, now)) {
      // Published before this node joined: seen and cached (so digests stop offering it), but
      // neither delivered nor forwarded, as every node that was up has it.
      counters.historySkipped++;
      return;
    }
    this.handover.hand(delivery, now, repair);
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
    const unseen: { id: MessageId; hops: number }[] = [];
    for (const entry of entries) {
      if (!this.seen.has(entry.id)) unseen.push(entry);
      else if (tree && entry.hops !== ECHO_HOPS) {
        const held = this.cache.get(entry.id);
        // Chunks never move a tree: a move lands in the middle of a message's burst of chunks,
        // where the link it grafts is pruned by the next duplicate and the parent it prunes
        // was the message's, which cut nodes off (graft storms, 1.35 copies per chunk).
        if (held && (held.flags & DataFlag.Chunk) === 0) {
          this.plumtree.onAnnounceHeld(entry.id, entry.hops, held.hops, from);
        }
      }
    }
    if (unseen.length === 0) return;
    if (tree || this.ctx.options.mode === "pushpull") {
      for (const { id, hops } of unseen) {
        this.plumtree.onAnnounce(id, from, now, hops === ECHO_HOPS, hops);
      }
    } else {
      this.antiEntropy.requestIds(unseen.map((entry) => entry.id), from);
    }
  }

  #disseminate(frame: DataFrame, except: Address | undefined, now: number): void {
    const mode = this.ctx.options.mode;
    let targets: Address[];
    if (mode === "tree") {
      this.#syncTree();
      const first = chunkMessageOf(frame);
      const last = first === undefined ? undefined : chunkMessageEndOf(frame);
      const rerooting = (frame.flags & DataFlag.Reroot) !== 0;
      const origin = originOf(frame.id);
      // A beacon's payload names its term; a handover raises it (anchor_role.ts).
      if (rerooting || (frame.flags & DataFlag.Beacon) !== 0) {
        this.plumtree.links.claim(origin, now, termOf(frame.flags, frame.payload));
      }
      targets = this.plumtree.forward(frame.id, frame.hops, except, now, frame.flags, first, last);
      if (rerooting && this.plumtree.links.anchor === origin) {
        this.census.rerooted(origin, seqOf(frame.id), except, frame.hops, now);
      }
    } else if (mode === "pull") {
      return;
    } else {
      const message = chunkMessageOf(frame);
      const sample = () => this.peers.samplePeers(this.ctx.options.fanout, except);
      targets = message === undefined ? sample() : this.#chunkTargets.of(message, except, sample);
      this.acks.pushed(frame.id, frame.hops, targets, now);
      if (mode === "pushpull") {
        // A fanout-k push misses about e^-k of the nodes, and ACKs cannot tell which: announce
        // the id to the other neighbours too, so a missed node pulls it after one graft timeout
        // instead of waiting for anti-entropy (13 s median at 1,000 nodes before this).
        const pushed = new Set(targets);
        const others = this.peers.activePeers().filter((peer) => !pushed.has(peer));
        // A chunked message is announced once, by its first chunk: a node that got none of it
        // pulls that one, then its missing chunks (reassembly.ts); one that lacks some knows which.
        if (message === undefined || frame.id === message) {
          this.plumtree.announcements.announce(others, frame.id, frame.hops, except, now);
        }
      }
    }
    for (const peer of targets) this.ctx.outbox.push(peer, frame);
    this.ctx.counters.payloadsOut += targets.length;
    this.ctx.counters.payloadBytesOut += targets.length * frame.payload.length;
  }

  /** IWANT frames of 8 ids: one repair answer sends 8 datagrams' worth (anti_entropy.ts). */
  #pullChunks(to: Address, ids: MessageId[]): void {
    for (let i = 0; i < ids.length; i += 8) {
      this.ctx.outbox.push(to, { type: FrameType.IWant, ids: ids.slice(i, i + 8) });
    }
    this.ctx.counters.pullsRequested += ids.length;
  }

  #syncTree(): void {
    this.plumtree.sync(this.peers.activePeers());
  }
}
