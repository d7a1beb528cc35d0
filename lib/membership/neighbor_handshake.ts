/**
 * The HyParView handshakes that create neighbour links: JOIN, FORWARD_JOIN and NEIGHBOR.
 *
 * - **Join**: a newcomer sends JOIN to a seed. The seed links it into its active view (dropping
 *   a random neighbour if full), answers PEERS (its id and a sample of its views) and sends
 *   FORWARD_JOIN on a random walk of {@linkcode ACTIVE_WALK} steps through its other neighbours.
 *   A walk that ends (or reaches a node with one neighbour) links the newcomer with a
 *   high-priority NEIGHBOR request; the node at step {@linkcode PASSIVE_WALK} keeps it in its
 *   passive view.
 * - **Join storms**: a full contact whose walk budget is spent (a cluster starting, every node
 *   joining through one seed) answers PEERS with TTL 0 and keeps the joiner as a candidate only
 *   as a uniform sample of the storm (joiner_memory.ts); the joiner then joins through a peer
 *   named in that answer, at most {@linkcode JOIN_REDIRECTS} times per join to a seed. Without
 *   both, each joiner linked the last few dozen joiners and the overlay came out as a band ordered
 *   by join time (1,000 nodes: diameter 11 where a random graph of the same degrees has 8).
 * - **Neighbour requests**: NEIGHBOR(high) is always accepted (the receiver drops a random
 *   neighbour with DISCONNECT to make room); NEIGHBOR(low) only when there is room. A rejected
 *   requester keeps the peer as a passive candidate and waits a shuffle period before asking
 *   again. A request unanswered within twice the probe timeout drops the candidate from the
 *   passive view (a revival request for a lost neighbour is left to the rejoin list instead).
 *
 * Admission control (admission.ts) bounds what strangers can do here: a JOIN or NEIGHBOR(high)
 * that would evict a neighbour needs an eviction token and never evicts an anchor; without one,
 * JOIN is answered with PEERS and DISCONNECT (the joiner still gets peers and the walks) and
 * NEIGHBOR(high) is treated as low priority. JOINs start walks only within the walk budget. A
 * FORWARD_JOIN carrying this node's own id is dropped without learning anything from it.
 *
 * The handshake keeps the requests in flight and the seeds joined through; the views, identity
 * checks and the link itself belong to the protocol that owns it (see hyparview.ts). Each
 * request asks the engine (`ctx.wakeAt`) to tick by its timeout, whatever input sent it.
 *
 * @module
 */

import type { EngineContext } from "../core/context.ts";
import { type Prng, randomInt } from "../core/prng.ts";
import type { Address } from "../wire/address.ts";
import { noEntries, noMembers, ownMap, ownSet } from "../core/no_entries.ts";
import { FrameType, type NodeFrame, type PeerEntry, type PeersFrame } from "../wire/frame.ts";
import type { ActiveView } from "./active_view.ts";
import { JoinerMemory } from "./joiner_memory.ts";
import type { SamplingView } from "./peer_sampling.ts";
import { UNKNOWN_ADDRESS } from "./shuffle_exchange.ts";

/**
 * Random-walk length of a FORWARD_JOIN (ARWL in the paper). Long enough to mix: with 6 steps and
 * every node joining through one seed, 1,000 nodes formed an overlay of eccentricity 8-13 (a
 * random graph of the same degree: 6-7), and broadcast trees over it were 2x deeper; 10 steps,
 * with the contact linking the joiner only when it has room, gave 6-7.
 */
export const ACTIVE_WALK = 10;
/** Walk step at which the joiner is kept in the passive view (PRWL). */
export const PASSIVE_WALK = 3;
/**
 * JOINs a joiner sends to peers named by contacts that started no walks for it, per JOIN to a
 * seed. With none, a storm of 1,000 joins through one seed left most joiners without walks (the
 * seed's walk budget covers a few joins per second); one gave 1,000 nodes radius 7 and mean
 * distance 5.0-5.1 at 10 s, two the same with half as many nodes short of neighbours (and 14
 * hops on seed 5 of the issue-14 run against 15). Each costs a JOIN, PEERS and the walks.
 */
export const JOIN_REDIRECTS = 2;
/** JOINs awaiting an answer at most (seeds and redirects). */
const JOINING_CAPACITY = 64;

interface Pending {
  deadline: number;
  high: boolean;
  revive: boolean;
}

/** Counters the handshake updates. */
export interface HandshakeCounters {
  /** JOINs sent to seeds. */
  joinsSent: number;
  /** JOINs sent to a peer named by a contact that started no walks for this node. */
  joinRedirects: number;
  /** JOINs received (as a seed or contact). */
  joinsReceived: number;
  /** FORWARD_JOINs sent (walk starts and steps). */
  forwardJoins: number;
  /** NEIGHBOR requests sent. */
  neighborRequests: number;
  /** NEIGHBOR requests accepted. */
  neighborAccepted: number;
  /** NEIGHBOR requests rejected (no room, low priority). */
  neighborRejected: number;
  /** NEIGHBOR requests that got no answer in time. */
  neighborTimeouts: number;
  /** Lost neighbours linked again by a revival request. */
  revived: number;
}

/** What the handshake needs from the protocol that owns the views and links. */
export interface HandshakeHost {
  /** The neighbour links. */
  readonly active: ActiveView;
  /** The passive candidates. */
  readonly passive: SamplingView;
  /** True when a frame with `nodeId` from `address` (its datagram source) came from this node. */
  isSelf(nodeId: number, address: Address): boolean;
  /** True when `address` is believed to be this node's own. */
  isOwnAddress(address: Address): boolean;
  /** True when `nodeId`, read from a frame body, is this node's own (nothing is learnt). */
  isOwnId(nodeId: number): boolean;
  /** True (spending a token) when a JOIN may start its FORWARD_JOIN walks. */
  allowWalk(now: number): boolean;
  /** Drops the link to `address` when `nodeId` shows the neighbour restarted. */
  checkIdentity(address: Address, nodeId: number, now: number): void;
  /**
   * Links `address` into the active view (making room when full); false when refused.
   * `solicited` when the link answers this node's own JOIN or NEIGHBOR request.
   */
  link(address: Address, nodeId: number, now: number, solicited: boolean): boolean;
  /** Sends a node frame (NEIGHBOR, DISCONNECT, ...) with `value` to `to`. */
  send(to: Address, type: NodeFrame["type"], value: number): void;
  /** A PEERS-style frame carrying this node and a sample of its views, for `to`. */
  peersFrame(type: PeersFrame["type"], to: Address): PeersFrame;
  /** Every neighbour refused: look for neighbours again no earlier than `at`. */
  postponeFill(at: number): void;
}

/** JOIN / FORWARD_JOIN / NEIGHBOR handling and the neighbour requests in flight. */
export class NeighborHandshake {
  // Made at the first request and join (see no_entries.ts).
  #pending: Map<Address, Pending> = noEntries();
  #joining: Set<Address> = noMembers();
  #redirects = 0;
  readonly #joiners: JoinerMemory;
  readonly #rng: Prng;

  /**
   * @param ctx The engine's shared state.
   * @param counters Where the handshake counts (shared with the owning protocol).
   * @param host The views and link operations of the owning protocol.
   */
  constructor(
    readonly ctx: EngineContext,
    readonly counters: HandshakeCounters,
    readonly host: HandshakeHost,
  ) {
    this.#rng = ctx.rng;
    this.#joiners = new JoinerMemory(ctx.options.passiveViewSize, ctx.options.shuffleIntervalMs);
  }

  /** Outgoing NEIGHBOR requests awaiting an answer. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** True while a NEIGHBOR request to `address` awaits its answer. */
  isPending(address: Address): boolean {
    return this.#pending.has(address);
  }

  /** True while a JOIN sent to `address` awaits its PEERS answer. */
  isJoining(address: Address): boolean {
    return this.#joining.has(address);
  }

  /** Requests awaiting an answer that fill the active view (revivals excluded). */
  fillPending(): number {
    let count = 0;
    for (const pending of this.#pending.values()) if (!pending.revive) count++;
    return count;
  }

  /** Sends the NEIGHBOR request pending for `address` again (it was refused as unproven). */
  resend(address: Address): void {
    const pending = this.#pending.get(address);
    if (pending) this.host.send(address, FrameType.Neighbor, pending.high ? 1 : 0);
  }

  /** Forgets the request to `address` (it was linked, or turned out to be this node). */
  forget(address: Address): void {
    this.#pending.delete(address);
  }

  /** Sends JOIN to the seed `address` (a new join: it may be redirected again). */
  join(address: Address): void {
    this.#redirects = JOIN_REDIRECTS;
    this.#sendJoin(address);
  }

  /** Sends the JOIN awaiting an answer from `address` again (it was refused as unproven). */
  resendJoin(address: Address): void {
    if (this.#joining.has(address)) this.#sendJoin(address);
  }

  #sendJoin(address: Address): void {
    (this.#joining = ownSet(this.#joining)).add(address);
    this.counters.joinsSent++;
    this.host.send(address, FrameType.Join, 0);
  }

  /**
   * The contact `from` answered a JOIN with `peers` but started no walks for this node (its walk
   * budget was spent: a join storm through one seed). Joins through one of `peers` instead, at
   * most {@linkcode JOIN_REDIRECTS} times per join to a seed, so that some contact's walks still
   * place this node at random in the overlay. Returns true when it did.
   */
  joinElsewhere(peers: readonly PeerEntry[], from: Address): boolean {
    if (this.#redirects <= 0 || this.#joining.size >= JOINING_CAPACITY) return false;
    const host = this.host;
    const candidates = peers.filter((entry) =>
      entry.address !== from && !this.#joining.has(entry.address) &&
      !host.active.has(entry.address) && !host.isOwnAddress(entry.address)
    );
    if (candidates.length === 0) return false;
    this.#redirects--;
    this.counters.joinRedirects++;
    this.#sendJoin(candidates[randomInt(this.#rng, candidates.length)]!.address);
    return true;
  }

  /** PEERS from `address` arrived; returns true when it answers a JOIN this node sent. */
  joinAnswered(address: Address): boolean {
    return this.#joining.delete(address);
  }

  /**
   * Sends NEIGHBOR to `address` and waits twice the probe timeout for the answer.
   *
   * @param high High priority: the receiver accepts even when its view is full.
   * @param revive The request revives a lost neighbour (does not count towards filling).
   */
  request(address: Address, high: boolean, revive: boolean, now: number): void {
    const deadline = now + 2 * this.ctx.options.probeTimeoutMs;
    (this.#pending = ownMap(this.#pending)).set(address, { deadline, high, revive });
    // Sent from a frame handler, the timeout must still move the engine's next tick earlier.
    this.ctx.wakeAt(deadline);
    this.counters.neighborRequests++;
    this.host.send(address, FrameType.Neighbor, high ? 1 : 0);
  }

  /**
   * Drops requests unanswered by `now` (and their candidates from the passive view). Returns
   * the earliest deadline still pending (or Infinity) and whether a fill request timed out.
   */
  expire(now: number): { next: number; timedOut: boolean } {
    let next = Infinity;
    let timedOut = false;
    for (const [address, pending] of this.#pending) {
      if (pending.deadline > now) {
        next = Math.min(next, pending.deadline);
        continue;
      }
      this.#pending.delete(address);
      if (!pending.revive) {
        this.counters.neighborTimeouts++;
        this.host.passive.remove(address);
        timedOut = true;
      }
    }
    return { next, timedOut };
  }

  /** JOIN from `from`: link it, answer PEERS and start the FORWARD_JOIN walks. */
  onJoin(nodeId: number, from: Address, now: number): void {
    const host = this.host;
    if (host.isSelf(nodeId, from)) return;
    this.counters.joinsReceived++;
    host.checkIdentity(from, nodeId, now);
    if (!host.active.has(from)) {
      // A full contact does not evict a neighbour for the joiner: with one seed for everyone,
      // the seed would become a hub that sheds its links to the latest joiners, and the overlay
      // would cluster around it (eccentricity 8-13 at 1,000 nodes against 6-7). The walks link
      // the joiner elsewhere.
      const linked = (!host.active.full || host.active.size <= 1) &&
        host.link(from, nodeId, now, false);
      // Full and no eviction budget: the joiner still gets peers (and walks, if the walk budget
      // allows) and may be kept as a candidate, as an evicted neighbour would be.
      const walks = linked || host.allowWalk(now);
      const peers = host.peersFrame(FrameType.Peers, from);
      // Whether walks were started: without them the joiner joins through a peer named here.
      peers.ttl = walks ? 1 : 0;
      this.ctx.outbox.push(from, peers);
      if (!linked) {
        host.send(from, FrameType.Disconnect, 0);
        if (this.#joiners.keep(now, this.#rng)) {
          host.passive.add({ nodeId, address: from, age: 0 }, this.#rng);
        }
      }
      if (!walks) return;
      const walk: PeersFrame = {
        type: FrameType.ForwardJoin,
        ttl: ACTIVE_WALK,
        origin: { nodeId, address: from, age: 0 },
        peers: [],
      };
      for (const peer of host.active.addresses()) {
        if (peer === from) continue;
        this.counters.forwardJoins++;
        this.ctx.outbox.push(peer, walk);
      }
      return;
    }
    this.ctx.outbox.push(from, host.peersFrame(FrameType.Peers, from));
  }

  /** One step of a FORWARD_JOIN walk: pass it on, or end it by asking the joiner to link. */
  onForwardJoin(frame: PeersFrame, from: Address, now: number): void {
    const host = this.host;
    const joiner = frame.origin;
    // The joiner's address comes from the frame body: an own id there teaches nothing.
    if (host.isOwnId(joiner.nodeId) || joiner.address === UNKNOWN_ADDRESS) return;
    if (host.isOwnAddress(joiner.address)) return;
    // No identity check here: a body claiming another id for a neighbour's address must not cut
    // the link (only frames from the address itself can show a restart).
    if (host.active.has(joiner.address) || this.#pending.has(joiner.address)) return;
    if (frame.ttl === 0 || host.active.size <= 1) {
      this.#endWalk(joiner.address, now);
      return;
    }
    if (frame.ttl === PASSIVE_WALK) host.passive.add({ ...joiner, age: 0 }, this.#rng);
    let next = host.active.random(this.#rng, from);
    if (next === joiner.address) next = host.active.random(this.#rng, joiner.address);
    if (next === undefined || next === from || next === joiner.address) {
      this.#endWalk(joiner.address, now);
      return;
    }
    this.counters.forwardJoins++;
    this.ctx.outbox.push(next, { ...frame, ttl: frame.ttl - 1 });
  }

  /**
   * A walk ends here: ask the joiner to link. High priority only with room to spare; a full node
   * asks at low priority, so a stranger's walk never makes it evict a neighbour (a joiner with no
   * neighbours accepts either way).
   */
  #endWalk(joiner: Address, now: number): void {
    this.request(joiner, !this.host.active.full, false, now);
  }

  /** NEIGHBOR from `from`: accept (high priority, or room left) or reject, and answer. */
  onNeighbor(nodeId: number, high: boolean, from: Address, now: number): void {
    const host = this.host;
    if (host.isSelf(nodeId, from)) return;
    host.checkIdentity(from, nodeId, now);
    let accept = host.active.has(from) || high || !host.active.full;
    if (accept && !host.active.has(from)) accept = host.link(from, nodeId, now, false);
    if (accept) {
      this.counters.neighborAccepted++;
    } else {
      // Not kept as a passive candidate: a refused stranger is what a Sybil flood looks like.
      this.counters.neighborRejected++;
    }
    host.send(from, FrameType.NeighborReply, accept ? 1 : 0);
  }

  /** The answer to a NEIGHBOR request: link, or keep the peer as a passive candidate. */
  onNeighborReply(nodeId: number, accepted: boolean, from: Address, now: number): void {
    const host = this.host;
    if (host.isSelf(nodeId, from)) return;
    host.checkIdentity(from, nodeId, now);
    const pending = this.#pending.get(from);
    this.#pending.delete(from);
    if (!accepted) {
      host.passive.add({ nodeId, address: from, age: 0 }, this.#rng);
      // Full neighbours everywhere: do not hammer them; try again next period.
      host.postponeFill(now + this.ctx.options.shuffleIntervalMs);
      return;
    }
    if (host.active.has(from)) return;
    if ((!host.active.full || pending?.high) && host.link(from, nodeId, now, true)) {
      if (pending?.revive) this.counters.revived++;
    } else {
      host.send(from, FrameType.Disconnect, 0);
      host.passive.add({ nodeId, address: from, age: 0 }, this.#rng);
    }
  }
}
