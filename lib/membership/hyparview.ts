/**
 * HyParView (Leitão, Pereira, Rodrigues; DSN 2007) over a gossip-based peer-sampling passive
 * view, with SWIM probing of the active links and rejoin with backoff.
 *
 * - **Join**: JOIN to a seed; the seed links the newcomer into its active view (dropping a random
 *   neighbour if full), answers PEERS (its id and a sample) and sends FORWARD_JOIN on a random
 *   walk of {@linkcode ACTIVE_WALK} steps through its other neighbours. A walk that ends (or
 *   reaches a node with one neighbour) links the newcomer with a high-priority NEIGHBOR; the node
 *   at step {@linkcode PASSIVE_WALK} keeps it in its passive view.
 * - **Neighbours**: NEIGHBOR(high) is always accepted (a random neighbour is dropped with
 *   DISCONNECT); NEIGHBOR(low) only when there is room. A node short of neighbours asks random
 *   passive peers (high priority when it has none); a request unanswered within twice the probe
 *   timeout drops the candidate from the passive view.
 * - **Failure detection**: see failure_detector.ts. A dead neighbour is replaced from the passive
 *   view at once and remembered in the rejoin list.
 * - **Peer sampling**: see peer_sampling.ts; a SHUFFLE carries this node, up to 3 neighbours
 *   (fresh: they are probed) and a passive buffer.
 * - **Rejoin**: see rejoin.ts. Lost neighbours get NEIGHBOR(high) with backoff, so a healed
 *   partition is bridged by the first retry that gets through; seeds get JOIN while the node has
 *   no peers and a slow SHUFFLE otherwise.
 * - **Identity**: frames carry the sender's node id; a neighbour whose id changes restarted, so
 *   the old link is dropped (peer-down) before the new incarnation is considered.
 *
 * @module
 */

import type { EngineContext } from "../engine/context.ts";
import { type Prng, sample } from "../engine/prng.ts";
import type { Address } from "../wire/address.ts";
import {
  type Frame,
  FrameType,
  type NodeFrame,
  type PeerEntry,
  type PeersFrame,
} from "../wire/frame.ts";
import { ActiveView } from "./active_view.ts";
import { FailureDetector, INDIRECT_BIT } from "./failure_detector.ts";
import { SamplingView } from "./peer_sampling.ts";
import { RetryList } from "./rejoin.ts";

/** The address a node puts for itself: receivers substitute the datagram's source. */
export const UNKNOWN_ADDRESS = "0.0.0.0:0";
/** Random-walk length of a FORWARD_JOIN (ARWL in the paper). */
export const ACTIVE_WALK = 6;
/** Walk step at which the joiner is kept in the passive view (PRWL). */
export const PASSIVE_WALK = 3;
/** Neighbours included in a SHUFFLE buffer (ka in the paper). */
const SHUFFLE_ACTIVE = 3;
/** Lost neighbours remembered for rejoin. */
const LOST_CAPACITY = 16;
/** Seeds remembered. */
const SEED_CAPACITY = 64;
/** Node addresses this node learnt are its own. */
const SELF_CAPACITY = 4;

interface Pending {
  deadline: number;
  high: boolean;
  revive: boolean;
}

type DropReason = "dead" | "evicted" | "disconnected" | "restarted";

/** Counters of the HyParView part. */
export interface HyParViewCounters {
  joinsSent: number;
  joinsReceived: number;
  forwardJoins: number;
  neighborRequests: number;
  neighborAccepted: number;
  neighborRejected: number;
  neighborTimeouts: number;
  linksUp: number;
  linksDown: number;
  evictions: number;
  disconnectsReceived: number;
  restartsDetected: number;
  shufflesSent: number;
  shufflesReceived: number;
  rejoinAttempts: number;
  revived: number;
}

/** The membership protocol state of one node. */
export class HyParView {
  readonly active: ActiveView;
  readonly passive: SamplingView;
  readonly detector: FailureDetector;
  readonly retry: RetryList;
  readonly counters: HyParViewCounters = {
    joinsSent: 0,
    joinsReceived: 0,
    forwardJoins: 0,
    neighborRequests: 0,
    neighborAccepted: 0,
    neighborRejected: 0,
    neighborTimeouts: 0,
    linksUp: 0,
    linksDown: 0,
    evictions: 0,
    disconnectsReceived: 0,
    restartsDetected: 0,
    shufflesSent: 0,
    shufflesReceived: 0,
    rejoinAttempts: 0,
    revived: 0,
  };
  /** Entries in a SHUFFLE/PEERS buffer, this node included. */
  readonly bufferSize: number;
  #pending = new Map<Address, Pending>();
  #joining = new Set<Address>();
  #self = new Set<Address>();
  #sent = new Map<Address, Address[]>();
  #joined = false;
  #nextShuffle = 0;
  #nextFill = 0;
  readonly #rng: Prng;

  /** @param ctx The engine's shared state. */
  constructor(readonly ctx: EngineContext) {
    const o = ctx.options;
    this.#rng = ctx.rng;
    this.active = new ActiveView(o.activeViewSize);
    this.passive = new SamplingView({
      capacity: o.passiveViewSize,
      healing: o.samplingHealing,
      swap: o.samplingSwap,
    });
    this.detector = new FailureDetector(o, {
      ping: (target, value) => this.#send(target, FrameType.Ping, value),
      pingReq: (helper, target, seq) =>
        ctx.outbox.push(helper, {
          type: FrameType.PingReq,
          nodeId: ctx.nodeId,
          value: seq,
          target,
        }),
      helpers: (target, count) => this.#helpers(target, count),
    });
    this.retry = new RetryList({
      baseMs: o.rejoinBackoffMs,
      maxMs: o.rejoinBackoffMaxMs,
      capacity: LOST_CAPACITY,
      seedCapacity: SEED_CAPACITY,
    }, ctx.rng);
    // Worst case entry: 25 bytes (IPv6); 4 bytes of datagram and frame header.
    const fit = Math.floor((o.maxDatagramSize - 4) / 25);
    this.bufferSize = Math.max(
      1,
      Math.min(255, fit, Math.max(2, Math.floor(o.passiveViewSize / 2))),
    );
  }

  /** True once any peer answered (or there is nobody to join). */
  get joined(): boolean {
    return this.#joined || this.retry.seeds().length === 0;
  }

  /** Outgoing NEIGHBOR requests awaiting an answer. */
  get pendingRequests(): number {
    return this.#pending.size;
  }

  /** Schedules the periodic work and joins through the configured seeds. */
  start(now: number): void {
    // Spread the first exchange over one period so nodes do not shuffle in lockstep.
    this.#nextShuffle = now + Math.floor(this.#rng() * this.ctx.options.shuffleIntervalMs) + 1;
    this.#nextFill = now;
    this.addSeeds(this.ctx.options.seeds, now);
  }

  /** Adds seeds and contacts the new ones at once. */
  addSeeds(addresses: readonly Address[], now: number): void {
    let added = false;
    for (const address of addresses) {
      if (this.#self.has(address)) continue;
      if (this.retry.addSeed(address, now)) added = true;
    }
    if (added) this.#runRetries(now);
  }

  /** Any datagram from `from` shows it is alive. */
  heard(from: Address, now: number): void {
    this.detector.heard(from, now);
  }

  /** Handles a membership frame; false for frames of other parts. */
  onFrame(frame: Frame, from: Address, now: number): boolean {
    switch (frame.type) {
      case FrameType.Ping:
        this.#onPing(frame.nodeId, frame.value, from, now);
        return true;
      case FrameType.Pong:
        this.#onPong(frame.nodeId, frame.value, from, now);
        return true;
      case FrameType.PingReq: {
        if (this.#isSelf(frame.nodeId, from)) return true;
        const value = this.detector.startRelay(from, frame.value, now);
        if (value !== undefined) this.#send(frame.target, FrameType.Ping, value);
        return true;
      }
      case FrameType.Join:
        this.#onJoin(frame.nodeId, from, now);
        return true;
      case FrameType.ForwardJoin:
        this.#onForwardJoin(frame, from, now);
        return true;
      case FrameType.Neighbor:
        this.#onNeighbor(frame.nodeId, frame.value === 1, from, now);
        return true;
      case FrameType.NeighborReply:
        this.#onNeighborReply(frame.nodeId, frame.value === 1, from, now);
        return true;
      case FrameType.Disconnect:
        if (this.#isSelf(frame.nodeId, from)) return true;
        this.counters.disconnectsReceived++;
        this.#drop(from, "disconnected", now);
        return true;
      case FrameType.Peers:
      case FrameType.Shuffle:
      case FrameType.ShuffleReply:
        this.#onPeers(frame, from, now);
        return true;
      default:
        return false;
    }
  }

  /** Runs probes, timeouts, refills, shuffles and retries; returns the next wanted time. */
  tick(now: number): number {
    const { dead, next: probeNext } = this.detector.tick(now);
    for (const address of dead) this.#drop(address, "dead", now);
    let next = probeNext;
    for (const [address, pending] of this.#pending) {
      if (pending.deadline > now) {
        next = Math.min(next, pending.deadline);
        continue;
      }
      this.#pending.delete(address);
      if (!pending.revive) {
        this.counters.neighborTimeouts++;
        this.passive.remove(address);
        this.#nextFill = Math.min(this.#nextFill, now);
      }
    }
    if (now >= this.#nextShuffle) {
      this.#nextShuffle = now + this.ctx.options.shuffleIntervalMs;
      this.#shuffle();
    }
    next = Math.min(next, this.#nextShuffle);
    if (now >= this.#nextFill) this.#fill(now);
    if (this.active.size + this.#fillPending() < this.active.capacity && this.passive.size > 0) {
      next = Math.min(next, Math.max(this.#nextFill, now + 1));
    }
    this.#runRetries(now);
    return Math.min(next, this.retry.nextAt());
  }

  // ---- frames -------------------------------------------------------------------------------

  #onPing(nodeId: number, value: number, from: Address, now: number): void {
    if (this.#isSelf(nodeId, from)) return;
    this.#send(from, FrameType.Pong, value);
    if ((value & INDIRECT_BIT) !== 0) return;
    this.#checkIdentity(from, nodeId, now);
    if (!this.active.has(from) && !this.#pending.has(from) && !this.#joining.has(from)) {
      // The sender believes we are neighbours; we are not. Tell it, so links stay symmetric.
      this.#send(from, FrameType.Disconnect, 0);
    }
  }

  #onPong(nodeId: number, value: number, from: Address, now: number): void {
    const relay = this.detector.finishRelay(value);
    if (relay) {
      this.ctx.outbox.push(relay.requester, { type: FrameType.Pong, nodeId, value: relay.seq });
      return;
    }
    const target = this.detector.acknowledged(value, now);
    if (target !== undefined) this.#checkIdentity(target, nodeId, now);
    else if (!this.#isSelf(nodeId, from)) this.#checkIdentity(from, nodeId, now);
  }

  #onJoin(nodeId: number, from: Address, now: number): void {
    if (this.#isSelf(nodeId, from)) return;
    this.counters.joinsReceived++;
    this.#checkIdentity(from, nodeId, now);
    if (!this.active.has(from)) {
      this.#link(from, nodeId, now);
      const walk: PeersFrame = {
        type: FrameType.ForwardJoin,
        ttl: ACTIVE_WALK,
        origin: { nodeId, address: from, age: 0 },
        peers: [],
      };
      for (const peer of this.active.addresses()) {
        if (peer === from) continue;
        this.counters.forwardJoins++;
        this.ctx.outbox.push(peer, walk);
      }
    }
    this.ctx.outbox.push(from, this.#peersFrame(FrameType.Peers, from));
  }

  #onForwardJoin(frame: PeersFrame, from: Address, now: number): void {
    const joiner = frame.origin;
    if (this.#isSelf(joiner.nodeId, joiner.address) || joiner.address === UNKNOWN_ADDRESS) return;
    this.#checkIdentity(joiner.address, joiner.nodeId, now);
    if (this.active.has(joiner.address) || this.#pending.has(joiner.address)) return;
    if (frame.ttl === 0 || this.active.size <= 1) {
      this.#requestNeighbor(joiner.address, true, false, now);
      return;
    }
    if (frame.ttl === PASSIVE_WALK) this.passive.add({ ...joiner, age: 0 }, this.#rng);
    let next = this.active.random(this.#rng, from);
    if (next === joiner.address) next = this.active.random(this.#rng, joiner.address);
    if (next === undefined || next === from || next === joiner.address) {
      this.#requestNeighbor(joiner.address, true, false, now);
      return;
    }
    this.counters.forwardJoins++;
    this.ctx.outbox.push(next, { ...frame, ttl: frame.ttl - 1 });
  }

  #onNeighbor(nodeId: number, high: boolean, from: Address, now: number): void {
    if (this.#isSelf(nodeId, from)) return;
    this.#checkIdentity(from, nodeId, now);
    const accept = this.active.has(from) || high || !this.active.full;
    if (accept) {
      if (!this.active.has(from)) this.#link(from, nodeId, now);
      this.counters.neighborAccepted++;
    } else {
      this.counters.neighborRejected++;
      this.passive.add({ nodeId, address: from, age: 0 }, this.#rng);
    }
    this.#send(from, FrameType.NeighborReply, accept ? 1 : 0);
  }

  #onNeighborReply(nodeId: number, accepted: boolean, from: Address, now: number): void {
    if (this.#isSelf(nodeId, from)) return;
    this.#checkIdentity(from, nodeId, now);
    const pending = this.#pending.get(from);
    this.#pending.delete(from);
    if (!accepted) {
      this.passive.add({ nodeId, address: from, age: 0 }, this.#rng);
      // Full neighbours everywhere: do not hammer them; try again next period.
      this.#nextFill = now + this.ctx.options.shuffleIntervalMs;
      return;
    }
    if (this.active.has(from)) return;
    if (!this.active.full || pending?.high) {
      if (pending?.revive) this.counters.revived++;
      this.#link(from, nodeId, now);
    } else {
      this.#send(from, FrameType.Disconnect, 0);
      this.passive.add({ nodeId, address: from, age: 0 }, this.#rng);
    }
  }

  #onPeers(frame: PeersFrame, from: Address, now: number): void {
    const origin = frame.origin;
    if (this.#isSelf(origin.nodeId, from)) return;
    this.#checkIdentity(from, origin.nodeId, now);
    const received = this.#usable(frame.peers);
    if (!this.active.has(from)) received.push({ nodeId: origin.nodeId, address: from, age: 0 });
    if (frame.type === FrameType.Peers) {
      this.retry.answered(from, origin.nodeId, now);
      if (this.#joining.delete(from) || !this.#joined) {
        if (!this.active.has(from)) {
          if (!this.active.full) this.#link(from, origin.nodeId, now);
          else this.#send(from, FrameType.Disconnect, 0);
        }
      }
      this.#joined = true;
      this.passive.merge(received.filter((e) => !this.active.has(e.address)), [], this.#rng);
      return;
    }
    let sent: Address[] = [];
    if (frame.type === FrameType.Shuffle) {
      this.counters.shufflesReceived++;
      if (frame.ttl !== 0) {
        const reply = this.#peersFrame(FrameType.ShuffleReply, from);
        sent = reply.peers.map((entry) => entry.address);
        this.ctx.outbox.push(from, reply);
      }
      if (frame.peers.length === 0) return;
    } else {
      sent = this.#sent.get(from) ?? [];
      this.#sent.delete(from);
      this.retry.answered(from, origin.nodeId, now);
    }
    this.passive.merge(received, sent, this.#rng);
  }

  // ---- periodic work ------------------------------------------------------------------------

  #shuffle(): void {
    this.passive.increaseAge();
    const partner = this.passive.oldest()?.address ?? this.active.random(this.#rng);
    if (partner === undefined) return;
    const mode = this.ctx.options.samplingMode;
    const frame = this.#peersFrame(FrameType.Shuffle, partner);
    if (mode === "pull") frame.peers = [];
    frame.ttl = mode === "push" ? 0 : 1;
    this.#sent.set(partner, frame.peers.map((entry) => entry.address));
    while (this.#sent.size > 4) this.#sent.delete(this.#sent.keys().next().value as Address);
    this.counters.shufflesSent++;
    this.ctx.outbox.push(partner, frame);
  }

  #fill(now: number): void {
    let missing = this.active.capacity - this.active.size - this.#fillPending();
    if (missing <= 0) return;
    const candidates = sample(
      this.#rng,
      this.passive.addresses(),
      missing,
      (address) => this.#pending.has(address) || this.#self.has(address),
    );
    const high = this.active.size === 0;
    for (const address of candidates) {
      this.#requestNeighbor(address, high, false, now);
      missing--;
    }
    if (this.active.size === 0 && this.passive.size === 0 && this.#pending.size === 0) {
      this.retry.hurrySeeds(now);
    }
    this.#nextFill = now + this.ctx.options.probeIntervalMs;
  }

  #runRetries(now: number): void {
    for (const entry of this.retry.due(now)) {
      const address = entry.address;
      if (this.#self.has(address) || this.active.has(address)) {
        if (!entry.seed) this.retry.answered(address, entry.nodeId, now);
        continue;
      }
      this.counters.rejoinAttempts++;
      if (!entry.seed) {
        if (!this.#pending.has(address)) this.#requestNeighbor(address, true, true, now);
      } else if (!this.#joined || this.active.size === 0) {
        this.#joining.add(address);
        this.counters.joinsSent++;
        this.#send(address, FrameType.Join, 0);
      } else {
        // Joined: a slow exchange with the seed mixes views across any past partition.
        const frame = this.#peersFrame(FrameType.Shuffle, address);
        frame.ttl = 1;
        this.#sent.set(address, frame.peers.map((e) => e.address));
        this.ctx.outbox.push(address, frame);
      }
    }
  }

  // ---- links --------------------------------------------------------------------------------

  #requestNeighbor(address: Address, high: boolean, revive: boolean, now: number): void {
    this.#pending.set(address, {
      deadline: now + 2 * this.ctx.options.probeTimeoutMs,
      high,
      revive,
    });
    this.counters.neighborRequests++;
    this.#send(address, FrameType.Neighbor, high ? 1 : 0);
  }

  #link(address: Address, nodeId: number, now: number): void {
    if (this.active.full) {
      const victim = this.active.random(this.#rng, address);
      if (victim !== undefined) {
        this.counters.evictions++;
        this.#drop(victim, "evicted", now);
      }
    }
    this.passive.remove(address);
    this.#pending.delete(address);
    this.retry.answered(address, nodeId, now);
    this.active.add(address, nodeId, now);
    this.detector.track(address, now, this.ctx.nodeId < nodeId);
    this.#joined = true;
    this.counters.linksUp++;
    this.ctx.peerEvent({ type: "up", address, nodeId });
  }

  #drop(address: Address, reason: DropReason, now: number): void {
    const link = this.active.remove(address);
    if (!link) return;
    this.detector.untrack(address);
    this.counters.linksDown++;
    if (reason === "dead") {
      this.retry.addLost(address, link.nodeId, now);
      this.#send(address, FrameType.Disconnect, 0);
    } else if (reason === "evicted") {
      this.#send(address, FrameType.Disconnect, 0);
      this.passive.add({ nodeId: link.nodeId, address, age: 0 }, this.#rng);
    } else if (reason === "disconnected") {
      this.passive.add({ nodeId: link.nodeId, address, age: 0 }, this.#rng);
    }
    this.ctx.peerEvent({ type: "down", address, nodeId: link.nodeId });
    this.#nextFill = Math.min(this.#nextFill, now);
  }

  /** A frame from `address` carried `nodeId`: a neighbour with another id has restarted. */
  #checkIdentity(address: Address, nodeId: number, now: number): void {
    const link = this.active.get(address);
    if (link && link.nodeId !== nodeId) {
      this.counters.restartsDetected++;
      this.#drop(address, "restarted", now);
      this.passive.add({ nodeId, address, age: 0 }, this.#rng);
    }
  }

  #isSelf(nodeId: number, address: Address): boolean {
    if (nodeId !== this.ctx.nodeId) return this.#self.has(address);
    if (!this.#self.has(address) && this.#self.size < SELF_CAPACITY) {
      this.#self.add(address);
      this.passive.remove(address);
      this.#pending.delete(address);
    }
    return true;
  }

  // ---- helpers ------------------------------------------------------------------------------

  #fillPending(): number {
    let count = 0;
    for (const pending of this.#pending.values()) if (!pending.revive) count++;
    return count;
  }

  #helpers(target: Address, count: number): Address[] {
    const helpers = sample(this.#rng, this.active.addresses(), count, (a) => a === target);
    if (helpers.length < count) {
      helpers.push(
        ...sample(this.#rng, this.passive.addresses(), count - helpers.length, (a) => a === target),
      );
    }
    return helpers;
  }

  #usable(entries: readonly PeerEntry[]): PeerEntry[] {
    return entries.filter((entry) =>
      entry.nodeId !== this.ctx.nodeId && entry.address !== UNKNOWN_ADDRESS &&
      !this.#self.has(entry.address) && !this.active.has(entry.address)
    );
  }

  #peersFrame(type: PeersFrame["type"], to: Address): PeersFrame {
    const actives = sample(this.#rng, this.active.addresses(), SHUFFLE_ACTIVE, (a) => a === to)
      .map((address) => ({ nodeId: this.active.get(address)!.nodeId, address, age: 0 }));
    const room = Math.max(0, this.bufferSize - 1 - actives.length);
    return {
      type,
      ttl: 0,
      // The receiver knows our address from the datagram; we may not (bound to 0.0.0.0).
      origin: { nodeId: this.ctx.nodeId, address: UNKNOWN_ADDRESS, age: 0 },
      peers: [...actives, ...this.passive.selectBuffer(this.#rng, room, to)],
    };
  }

  #send(to: Address, type: NodeFrame["type"], value: number): void {
    this.ctx.outbox.push(to, { type, nodeId: this.ctx.nodeId, value });
  }
}
