/**
 * Joining and knowing peers: the foundation membership.
 *
 * A node joins by sending JOIN to its seeds until one answers with a PEERS list. Every
 * anti-entropy period it also shuffles: it sends a random sample of its table to a random peer,
 * which merges it and answers with a sample of its own. Samples spread newcomers through the
 * cluster, so each table holds a random subset of live nodes. A node whose table empties rejoins
 * through its seeds, which is also how two halves of a healed partition find each other again.
 *
 * @module
 */

import type { EngineContext } from "../engine/context.ts";
import { type Address, addressWireSize } from "../wire/address.ts";
import { type Frame, FrameType, type PeerEntry, type PeersFrame } from "../wire/frame.ts";
import { PeerTable } from "./peer_table.ts";

const UNKNOWN_ADDRESS = "0.0.0.0:0";
/** Peer entries per PEERS/SHUFFLE frame: 13 bytes each over IPv4 keeps 512-byte datagrams. */
const SHUFFLE_SIZE = 8;

/** Membership figures reported by `Engine.stats()`. */
export interface MembershipStats {
  /** Peers known in any view. */
  peers: number;
  /** Size of the active (neighbour) view. */
  activeView: number;
  /** Size of the passive view. */
  passiveView: number;
  /** Further counters of the membership in use (joins, evictions, probes, ...). */
  [counter: string]: number;
}

/** Seed join and random peer exchange over a bounded {@linkcode PeerTable}. */
export class Membership {
  readonly table: PeerTable;
  #seeds: Address[] = [];
  #joined = false;
  #nextRound = 0;

  /** @param ctx The engine's shared state. */
  constructor(readonly ctx: EngineContext) {
    this.table = new PeerTable(ctx.options.maxPeers);
  }

  /** True once a seed (or any peer) has answered. */
  get joined(): boolean {
    return this.#joined || this.#seeds.length === 0;
  }

  /** Sends the first joins. */
  start(now: number): void {
    this.addSeeds(this.ctx.options.seeds, now);
    this.#nextRound = now + this.ctx.options.antiEntropyIntervalMs;
  }

  /** Adds seed candidates (from options or discovery) and joins through them. */
  addSeeds(addresses: readonly Address[], _now: number): void {
    for (const address of addresses) {
      if (!this.#seeds.includes(address)) this.#seeds.push(address);
      if (this.#seeds.length > this.ctx.options.maxPeers) this.#seeds.shift();
      if (!this.table.has(address)) this.#sendJoin(address);
    }
  }

  /** Handles a membership frame; returns false for frames of other parts. */
  onFrame(frame: Frame, from: Address, now: number): boolean {
    switch (frame.type) {
      case FrameType.Join:
        this.#learn(from, frame.nodeId, now);
        this.ctx.outbox.push(from, this.#peersFrame(FrameType.Peers, from));
        return true;
      case FrameType.Peers:
      case FrameType.ShuffleReply:
        this.#learn(from, frame.origin.nodeId, now);
        this.#merge(frame.peers, now);
        this.#joined = true;
        return true;
      case FrameType.Shuffle:
        this.#learn(from, frame.origin.nodeId, now);
        this.ctx.outbox.push(from, this.#peersFrame(FrameType.ShuffleReply, from));
        this.#merge(frame.peers, now);
        return true;
      default:
        return false;
    }
  }

  /** Any datagram from `from` shows it is alive. */
  heard(from: Address, now: number): void {
    this.table.heard(from, now);
  }

  /** Runs the periodic shuffle and join retries; returns the next time it wants to run. */
  tick(now: number): number {
    if (now < this.#nextRound) return this.#nextRound;
    this.#nextRound = now + this.ctx.options.antiEntropyIntervalMs;
    if (this.table.size === 0 || !this.#joined) {
      for (const seed of this.#seeds) this.#sendJoin(seed);
    } else {
      const [peer] = this.table.sample(this.ctx.rng, 1);
      if (peer) this.ctx.outbox.push(peer, this.#peersFrame(FrameType.Shuffle, peer));
    }
    return this.#nextRound;
  }

  /** Up to `count` random known peers other than `except`. */
  samplePeers(count: number, except?: Address): Address[] {
    return this.table.sample(this.ctx.rng, count, except);
  }

  /**
   * The neighbours broadcast trees run over. The foundation membership has no symmetric view
   * yet, so it offers every known peer; the HyParView membership offers its active view.
   */
  activePeers(): readonly Address[] {
    return this.table.addresses();
  }

  /** Every peer this node knows (for `Engine.peers()`). */
  knownPeers(): readonly Address[] {
    return this.table.addresses();
  }

  /** Membership figures for `Engine.stats()`. */
  stats(): MembershipStats {
    return { peers: this.table.size, activeView: this.table.size, passiveView: 0 };
  }

  #sendJoin(address: Address): void {
    this.ctx.outbox.push(address, { type: FrameType.Join, nodeId: this.ctx.nodeId, value: 0 });
  }

  #learn(address: Address, nodeId: number, now: number): void {
    if (nodeId === this.ctx.nodeId) return;
    this.table.upsert(address, nodeId, now);
  }

  #merge(peers: readonly PeerEntry[], now: number): void {
    for (const peer of peers) {
      if (peer.nodeId === this.ctx.nodeId || peer.address === UNKNOWN_ADDRESS) continue;
      if (!this.table.has(peer.address)) this.table.upsert(peer.address, peer.nodeId, now);
    }
  }

  #peersFrame(type: PeersFrame["type"], to: Address): PeersFrame {
    return {
      type,
      ttl: 0,
      // The receiver knows our address from the datagram; we may not (bound to 0.0.0.0).
      origin: { nodeId: this.ctx.nodeId, address: UNKNOWN_ADDRESS, age: 0 },
      peers: this.table.sampleEntries(this.ctx.rng, SHUFFLE_SIZE, to)
        .filter((entry) => addressWireSize(entry.address) > 0),
    };
  }
}
