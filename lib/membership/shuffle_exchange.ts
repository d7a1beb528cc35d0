/**
 * The SHUFFLE exchange that keeps the passive view random and fresh (peer sampling over
 * HyParView; the view itself and its merge rules are in peer_sampling.ts).
 *
 * Every shuffle period a node picks its oldest passive entry (or a random neighbour) and sends
 * it a SHUFFLE buffer: this node, up to {@linkcode SHUFFLE_ACTIVE} neighbours (fresh: they are
 * probed) and a sample of the passive view. The partner answers with a SHUFFLE_REPLY buffer of
 * its own and both merge what they received, preferring to replace the entries they sent. The
 * sampling mode decides the direction: "push" sends without asking for a reply, "pull" sends an
 * empty buffer and only takes the reply, "pushpull" does both. A joined node also shuffles
 * slowly with its seeds, which mixes views across a healed partition.
 *
 * The same buffer, as PEERS, answers a JOIN (see neighbor_handshake.ts).
 *
 * Bounds against Sybils (as GossipSub v1.1 only accepts peer exchange from peers it asked and
 * trusts): at most one buffer's worth of entries is taken from any frame; a SHUFFLE_REPLY is
 * merged only from a partner this node sent a SHUFFLE to; SHUFFLEs from non-neighbours are
 * always answered but merged only within a budget of {@linkcode FOREIGN_SHUFFLE_BURST} at once, refilled at
 * {@linkcode FOREIGN_SHUFFLES_PER_PERIOD} per shuffle period; the passive view itself limits
 * entries per network group and per informant (peer_sampling.ts).
 *
 * @module
 */

import type { EngineContext } from "../core/context.ts";
import { type Prng, sample } from "../core/prng.ts";
import type { Address } from "../wire/address.ts";
import { noEntries, ownMap } from "../core/no_entries.ts";
import { FrameType, type PeerEntry, type PeersFrame } from "../wire/frame.ts";
import type { ActiveView } from "./active_view.ts";
import type { SamplingView } from "./peer_sampling.ts";
import type { RetryList } from "./rejoin.ts";

/** The address a node puts for itself: receivers substitute the datagram's source. */
export const UNKNOWN_ADDRESS = "0.0.0.0:0";
/** Neighbours included in a SHUFFLE buffer (ka in the paper). */
export const SHUFFLE_ACTIVE = 3;
/** Periodic shuffle partners whose answer is awaited at most (seed refreshes come on top). */
const MAX_OUTSTANDING = 4;
/** SHUFFLEs from non-neighbours handled at once. */
export const FOREIGN_SHUFFLE_BURST = 4;
/** SHUFFLEs from non-neighbours handled per shuffle period (an honest node gets about one). */
export const FOREIGN_SHUFFLES_PER_PERIOD = 2;

/** Counters the exchange updates. */
export interface ExchangeCounters {
  /** SHUFFLEs sent (periodic ones; seed refreshes are not counted). */
  shufflesSent: number;
  /** SHUFFLEs received. */
  shufflesReceived: number;
  /** SHUFFLEs from non-neighbours answered but not merged because the budget was spent. */
  shufflesRefused: number;
  /** SHUFFLE_REPLYs from peers this node had not sent a SHUFFLE to (ignored). */
  unsolicitedReplies: number;
}

/** What the exchange needs from the protocol that owns the views. */
export interface ExchangeHost {
  /** The neighbour links. */
  readonly active: ActiveView;
  /** The passive candidates, refreshed by the exchange. */
  readonly passive: SamplingView;
  /** Seeds and lost neighbours; a SHUFFLE_REPLY counts as an answer. */
  readonly retry: RetryList;
  /** True when `address` is known to be this node. */
  isOwnAddress(address: Address): boolean;
}

/** Builds, sends and merges SHUFFLE / SHUFFLE_REPLY buffers. */
export class ShuffleExchange {
  /** Entries in a SHUFFLE/PEERS buffer, this node included. */
  readonly bufferSize: number;
  // Made at the first exchange (see no_entries.ts).
  #sent: Map<Address, Address[]> = noEntries();
  #foreignTokens = FOREIGN_SHUFFLE_BURST;
  #foreignAt = -Infinity;
  readonly #rng: Prng;

  /**
   * @param ctx The engine's shared state.
   * @param counters Where the exchange counts (shared with the owning protocol).
   * @param host The views of the owning protocol.
   */
  constructor(
    readonly ctx: EngineContext,
    readonly counters: ExchangeCounters,
    readonly host: ExchangeHost,
  ) {
    this.#rng = ctx.rng;
    const o = ctx.options;
    // Worst case entry: 25 bytes (IPv6); 4 bytes of datagram and frame header.
    const fit = Math.floor((o.maxDatagramSize - 4) / 25);
    this.bufferSize = Math.max(
      1,
      Math.min(255, fit, Math.max(2, Math.floor(o.passiveViewSize / 2))),
    );
  }

  /** The periodic SHUFFLE: ages the passive view and sends a buffer to the oldest entry. */
  shuffle(): void {
    const host = this.host;
    host.passive.increaseAge();
    const partner = host.passive.oldest()?.address ?? host.active.random(this.#rng);
    if (partner === undefined) return;
    const mode = this.ctx.options.samplingMode;
    const frame = this.peersFrame(FrameType.Shuffle, partner);
    if (mode === "pull") frame.peers = [];
    frame.ttl = mode === "push" ? 0 : 1;
    (this.#sent = ownMap(this.#sent)).set(partner, frame.peers.map((entry) => entry.address));
    while (this.#sent.size > MAX_OUTSTANDING) {
      this.#sent.delete(this.#sent.keys().next().value as Address);
    }
    this.counters.shufflesSent++;
    this.ctx.outbox.push(partner, frame);
  }

  /** The slow SHUFFLE with a seed of a joined node (mixes views across a past partition). */
  shuffleWithSeed(address: Address): void {
    const frame = this.peersFrame(FrameType.Shuffle, address);
    frame.ttl = 1;
    (this.#sent = ownMap(this.#sent)).set(address, frame.peers.map((entry) => entry.address));
    this.ctx.outbox.push(address, frame);
  }

  /**
   * The entries a PEERS, SHUFFLE or SHUFFLE_REPLY frame from `from` offers: its peers that may
   * be used (not this node, not neighbours), plus the sender itself unless it is a neighbour.
   */
  offered(frame: PeersFrame, from: Address): PeerEntry[] {
    const host = this.host;
    // One buffer's worth at most, whatever the sender packed into the frame.
    const received = frame.peers.slice(0, this.bufferSize).filter((entry) =>
      entry.nodeId !== this.ctx.nodeId && entry.address !== UNKNOWN_ADDRESS &&
      !host.isOwnAddress(entry.address) && !host.active.has(entry.address)
    );
    if (!host.active.has(from)) {
      received.push({ nodeId: frame.origin.nodeId, address: from, age: 0 });
    }
    return received;
  }

  /**
   * A SHUFFLE (answered unless it is a push) or SHUFFLE_REPLY from `from`: merges `received`
   * (see {@linkcode offered}) into the passive view, replacing what was sent to `from` first.
   */
  onShuffle(frame: PeersFrame, from: Address, received: PeerEntry[], now: number): void {
    let sent: Address[] = [];
    if (frame.type === FrameType.Shuffle) {
      this.counters.shufflesReceived++;
      // Always answered: an unanswered partner stays the sender's oldest entry and would be
      // picked again and again. Only the merge is rationed.
      if (frame.ttl !== 0) {
        const reply = this.peersFrame(FrameType.ShuffleReply, from);
        sent = reply.peers.map((entry) => entry.address);
        this.ctx.outbox.push(from, reply);
      }
      if (frame.peers.length === 0) return;
      if (!this.host.active.has(from) && !this.#takeForeign(now)) {
        this.counters.shufflesRefused++;
        return;
      }
    } else {
      const mine = this.#sent.get(from);
      if (mine === undefined) {
        this.counters.unsolicitedReplies++;
        return;
      }
      sent = mine;
      this.#sent.delete(from);
      this.host.retry.answered(from, frame.origin.nodeId, now);
    }
    this.host.passive.merge(received, sent, this.#rng, from);
  }

  /** Spends one token of the non-neighbour SHUFFLE budget; false when none is left. */
  #takeForeign(now: number): boolean {
    const period = this.ctx.options.shuffleIntervalMs;
    if (this.#foreignAt !== -Infinity) {
      this.#foreignTokens = Math.min(
        FOREIGN_SHUFFLE_BURST,
        this.#foreignTokens + (now - this.#foreignAt) * FOREIGN_SHUFFLES_PER_PERIOD / period,
      );
    }
    this.#foreignAt = now;
    if (this.#foreignTokens < 1) return false;
    this.#foreignTokens--;
    return true;
  }

  /** A buffer of `type` for `to`: this node, up to 3 neighbours and a passive sample. */
  peersFrame(type: PeersFrame["type"], to: Address): PeersFrame {
    const active = this.host.active;
    const actives = sample(this.#rng, active.addresses(), SHUFFLE_ACTIVE, (a) => a === to)
      .map((address) => ({ nodeId: active.get(address)!.nodeId, address, age: 0 }));
    const room = Math.max(0, this.bufferSize - 1 - actives.length);
    return {
      type,
      ttl: 0,
      // The receiver knows our address from the datagram; we may not (bound to 0.0.0.0).
      origin: { nodeId: this.ctx.nodeId, address: UNKNOWN_ADDRESS, age: 0 },
      peers: [...actives, ...this.host.passive.selectBuffer(this.#rng, room, to)],
    };
  }
}
