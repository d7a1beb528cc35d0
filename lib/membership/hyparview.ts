/**
 * HyParView (Leitão, Pereira, Rodrigues; DSN 2007) over a gossip-based peer-sampling passive
 * view, with SWIM probing of the active links and rejoin with backoff. This file owns the views
 * and the links; the mechanisms live next to it:
 *
 * - **Join and neighbour requests**: see neighbor_handshake.ts (JOIN, FORWARD_JOIN walks,
 *   NEIGHBOR with priorities and timeouts). A node short of neighbours asks random passive
 *   peers (high priority when it has none).
 * - **Failure detection**: see probing.ts and failure_detector.ts. A dead neighbour is replaced from the passive
 *   view at once and remembered in the rejoin list.
 * - **Peer sampling**: see shuffle_exchange.ts and peer_sampling.ts; a SHUFFLE carries this node,
 *   up to 3 neighbours (fresh: they are probed) and a passive buffer.
 * - **Rejoin**: see rejoin.ts. Lost neighbours get NEIGHBOR(high) with backoff, so a healed
 *   partition is bridged by the first retry that gets through; seeds get JOIN while the node has
 *   no peers and a slow SHUFFLE otherwise.
 * - **Identity**: frames carry the sender's node id; a neighbour whose id changes restarted, so
 *   the old link is dropped (peer-down) before the new incarnation is considered. A frame with
 *   this node's own id is never taken as a peer or a joiner; only its datagram source (never an
 *   address from a frame body, never a live neighbour) is learnt as an own address, bounded and
 *   expiring (see self_addresses.ts).
 * - **Eclipse resistance**: see admission.ts (anchors, eviction and walk budgets) and the
 *   per-group and per-informant shares of the passive view in peer_sampling.ts.
 *
 * @module
 */

import type { EngineContext } from "../core/context.ts";
import { type Prng, sample } from "../core/prng.ts";
import type { Address } from "../wire/address.ts";
import { type Frame, FrameType, type NodeFrame, type PeersFrame } from "../wire/frame.ts";
import { ActiveView } from "./active_view.ts";
import { Admission, diverseFirst } from "./admission.ts";
import type { FailureDetector } from "./failure_detector.ts";
import { Probing, type ProbingHost } from "./probing.ts";
import { createHyParViewCounters, type HyParViewCounters } from "./hyparview_counters.ts";
import { type HandshakeHost, NeighborHandshake } from "./neighbor_handshake.ts";
import { SamplingView } from "./peer_sampling.ts";
import { RetryList } from "./rejoin.ts";
import { type IdentityHooks, OwnIdentity } from "./self_addresses.ts";
import { type ExchangeHost, ShuffleExchange } from "./shuffle_exchange.ts";
import type { Refutation } from "./suspicion.ts";

export type { HyParViewCounters } from "./hyparview_counters.ts";

/** Lost neighbours remembered for rejoin. */
const LOST_CAPACITY = 16;
/** Seeds remembered. */
const SEED_CAPACITY = 64;
/** Frames that create state or work here, refused until the sender proves its address. */
const UNPROVEN_REFUSED: ReadonlySet<number> = new Set([
  FrameType.Join,
  FrameType.ForwardJoin,
  FrameType.Neighbor,
  FrameType.Shuffle,
  FrameType.PingReq,
]);

type DropReason = "dead" | "evicted" | "disconnected" | "restarted";

/**
 * The membership protocol state of one node.
 *
 * It is itself the host its parts call back (probing, handshake, exchange, own identity): the
 * host objects of arrow functions it used to build cost about 1.6 KB per engine, a sixth of an
 * engine in a 10,000-node simulation.
 */
export class HyParView implements ProbingHost, HandshakeHost, ExchangeHost, IdentityHooks {
  readonly active: ActiveView;
  readonly passive: SamplingView;
  /** Probes of the active links (probing.ts). */
  readonly probing: Probing;
  readonly detector: FailureDetector;
  /** This node's incarnation and its answers to suspicion notices. */
  readonly refutation: Refutation;
  readonly retry: RetryList;
  /** JOIN / FORWARD_JOIN / NEIGHBOR handling. */
  readonly handshake: NeighborHandshake;
  /** SHUFFLE buffers and their merging. */
  readonly exchange: ShuffleExchange;
  readonly counters: HyParViewCounters = createHyParViewCounters();
  /** Anchors and the budgets newcomers spend (eclipse resistance). */
  readonly admission: Admission;
  readonly #self: OwnIdentity;
  /** Time of the latest input, for checks made outside one (own addresses expire). */
  #now = 0;
  #joined = false;
  #nextShuffle = 0;
  #nextFill = 0;
  readonly #rng: Prng;

  /** @param ctx The engine's shared state. */
  constructor(readonly ctx: EngineContext) {
    const o = ctx.options;
    this.#rng = ctx.rng;
    this.admission = new Admission(o);
    this.#self = new OwnIdentity(ctx.nodeId, this.counters, this);
    this.active = new ActiveView(o.activeViewSize);
    this.passive = new SamplingView({
      capacity: o.passiveViewSize,
      healing: o.samplingHealing,
      swap: o.samplingSwap,
    });
    this.probing = new Probing(ctx, this);
    this.detector = this.probing.detector;
    this.refutation = this.probing.refutation;
    this.retry = new RetryList({
      baseMs: o.rejoinBackoffMs,
      maxMs: o.rejoinBackoffMaxMs,
      capacity: LOST_CAPACITY,
      seedCapacity: SEED_CAPACITY,
    }, ctx.rng);
    this.exchange = new ShuffleExchange(ctx, this.counters, this);
    this.handshake = new NeighborHandshake(ctx, this.counters, this);
  }

  // ---- the host its parts call (see the class doc) ------------------------------------------

  /** Own identity: true when `address` is a live neighbour (never learnt as an own address). */
  isNeighbor(address: Address): boolean {
    return this.active.has(address);
  }

  /** Own identity: `address` turned out to be this node's own: it leaves the views. */
  learnt(address: Address): void {
    this.passive.remove(address);
    this.handshake.forget(address);
  }

  /** Probing: the passive peers, helpers of last resort. */
  passiveAddresses(): readonly Address[] {
    return this.passive.addresses();
  }

  /** Probing: true while a neighbour request or a join with `address` is under way. */
  linking(address: Address): boolean {
    return this.handshake.isPending(address) || this.handshake.isJoining(address);
  }

  /** True when a frame with `nodeId` from `from` (its datagram source) is this node's own. */
  isSelf(nodeId: number, from: Address): boolean {
    return this.#isSelf(nodeId, from);
  }

  /** A frame from `address` carried `nodeId`: a neighbour with another id has restarted. */
  checkIdentity(address: Address, nodeId: number, now: number): void {
    this.#checkIdentity(address, nodeId, now);
  }

  /** Handshake: true when `nodeId`, read from a frame body, is this node's own. */
  isOwnId(nodeId: number): boolean {
    return this.#self.inBody(nodeId);
  }

  /** Handshake: true (spending a token) when a JOIN may start its FORWARD_JOIN walks. */
  allowWalk(now: number): boolean {
    return this.admission.allowWalk(now);
  }

  /** Handshake: links `address` (see `#link`); false when refused. */
  link(address: Address, nodeId: number, now: number, solicited: boolean): boolean {
    return this.#link(address, nodeId, now, solicited);
  }

  /** Sends a node frame (NEIGHBOR, DISCONNECT, PING, ...) with `value` to `to`. */
  send(to: Address, type: NodeFrame["type"], value: number): void {
    this.#send(to, type, value);
  }

  /** Handshake: a PEERS-style frame carrying this node and a sample of its views, for `to`. */
  peersFrame(type: PeersFrame["type"], to: Address): PeersFrame {
    return this.exchange.peersFrame(type, to);
  }

  /** Handshake: every neighbour refused; look for neighbours again no earlier than `at`. */
  postponeFill(at: number): void {
    this.#nextFill = at;
  }

  /** Entries in a SHUFFLE/PEERS buffer, this node included. */
  get bufferSize(): number {
    return this.exchange.bufferSize;
  }

  /** True once any peer answered (or there is nobody to join). */
  get joined(): boolean {
    return this.#joined || this.retry.seeds().length === 0;
  }

  /** Outgoing NEIGHBOR requests awaiting an answer. */
  get pendingRequests(): number {
    return this.handshake.pendingCount;
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
      if (this.#self.has(address, now)) continue;
      if (this.retry.addSeed(address, now)) added = true;
    }
    if (added) this.#runRetries(now);
    this.ctx.wakeAt(this.retry.nextAt());
  }

  /** Any datagram from `from` shows it is alive. */
  heard(from: Address, now: number): void {
    this.detector.heard(from, now);
  }

  /** True when `address` turned out to be this node's own. */
  isOwnAddress(address: Address): boolean {
    return this.#self.has(address, this.#now);
  }

  /**
   * `from` challenged this node's address. A seed answers an unproven joiner with the challenge
   * alone (its PEERS answer would exceed what the JOIN brought), so a JOIN still awaiting its
   * answer goes again, after the echo in the same datagram.
   */
  onChallenge(from: Address): void {
    if (this.#self.has(from, this.#now)) return;
    this.handshake.resendJoin(from);
    this.handshake.resend(from);
  }

  /** Handles a membership frame; false for frames of other parts. */
  onFrame(frame: Frame, from: Address, now: number): boolean {
    this.#now = now;
    if (!this.#dispatch(frame, from, now)) return false;
    // A lost link or new candidates may make a refill due before the engine's next tick.
    if (this.#wantsFill()) this.ctx.wakeAt(Math.max(this.#nextFill, now + 1));
    return true;
  }

  #dispatch(frame: Frame, from: Address, now: number): boolean {
    if (UNPROVEN_REFUSED.has(frame.type) && !this.ctx.isValidated(from)) {
      // Our own frame, looped back (a node bound to 0.0.0.0 meets its own address among the
      // seeds): learn the address as ours instead of challenging ourselves.
      const sender = "origin" in frame
        ? frame.origin.nodeId
        : "nodeId" in frame
        ? frame.nodeId
        : -1;
      if (sender === this.ctx.nodeId) {
        this.#isSelf(sender, from);
        return true;
      }
      // State and work for a stranger only once it proves its address (the engine has sent it a
      // challenge; a real peer echoes it and asks again): a spoofed JOIN no longer links a
      // victim's address, nor makes this node probe or shuffle with it.
      this.counters.unprovenRefused++;
      return true;
    }
    switch (frame.type) {
      case FrameType.Ping:
        this.probing.onPing(frame.nodeId, frame.value, from, now);
        return true;
      case FrameType.Pong:
        this.probing.onPong(frame.nodeId, frame.value, from, now);
        return true;
      case FrameType.PingReq:
        this.probing.onPingReq(frame.nodeId, frame.value, frame.target, from, now);
        return true;
      case FrameType.Suspicion:
        this.refutation.onFrame(frame, from, now);
        return true;
      case FrameType.Join:
        this.handshake.onJoin(frame.nodeId, from, now);
        return true;
      case FrameType.ForwardJoin:
        this.handshake.onForwardJoin(frame, from, now);
        return true;
      case FrameType.Neighbor:
        this.handshake.onNeighbor(frame.nodeId, frame.value === 1, from, now);
        return true;
      case FrameType.NeighborReply:
        this.handshake.onNeighborReply(frame.nodeId, frame.value === 1, from, now);
        return true;
      case FrameType.Disconnect:
        if (this.#isSelf(frame.nodeId, from)) return true;
        this.counters.disconnectsReceived++;
        // Under another id than our link's: the neighbour crashed and restarted (a probe of the
        // old link reached its new incarnation, which knows nothing of us). Rejoin it as a dead
        // neighbour: NEIGHBOR(high) with backoff, which the new incarnation accepts even with its
        // view full; else the restarted nodes stay an island of each other.
        this.#drop(
          from,
          this.active.get(from)?.nodeId === frame.nodeId ? "disconnected" : "dead",
          now,
        );
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
    this.#now = now;
    const { dead, next: probeNext } = this.detector.tick(now);
    for (const address of dead) this.#drop(address, "dead", now);
    const expired = this.handshake.expire(now);
    let next = Math.min(probeNext, expired.next);
    if (expired.timedOut) this.#nextFill = Math.min(this.#nextFill, now);
    if (now >= this.#nextShuffle) {
      this.#nextShuffle = now + this.ctx.options.shuffleIntervalMs;
      this.exchange.shuffle();
    }
    next = Math.min(next, this.#nextShuffle);
    if (now >= this.#nextFill) this.#fill(now);
    if (this.#wantsFill()) next = Math.min(next, Math.max(this.#nextFill, now + 1));
    this.#runRetries(now);
    return Math.min(next, this.retry.nextAt());
  }

  // ---- frames -------------------------------------------------------------------------------

  /** PEERS (the answer to a JOIN), SHUFFLE or SHUFFLE_REPLY. */
  #onPeers(frame: PeersFrame, from: Address, now: number): void {
    const origin = frame.origin;
    if (this.#isSelf(origin.nodeId, from)) return;
    this.#checkIdentity(from, origin.nodeId, now);
    const received = this.exchange.offered(frame, from);
    if (frame.type !== FrameType.Peers) {
      this.exchange.onShuffle(frame, from, received, now);
      return;
    }
    if (!this.handshake.joinAnswered(from)) {
      // Nobody asked: an unsolicited peer list is how Sybils would fill the passive view.
      this.counters.unsolicitedPeers++;
      return;
    }
    this.retry.answered(from, origin.nodeId, now);
    if (!this.active.has(from)) {
      if (!this.active.full) this.#link(from, origin.nodeId, now, true);
      else this.#send(from, FrameType.Disconnect, 0);
    }
    this.#joined = true;
    const candidates = received.filter((e) => !this.active.has(e.address));
    this.passive.merge(candidates, [], this.#rng, from);
    // TTL 0: the contact started no walks for us (see NeighborHandshake.joinElsewhere).
    if (frame.ttl === 0) this.handshake.joinElsewhere(candidates, from);
  }

  // ---- periodic work ------------------------------------------------------------------------

  /** True when the active view has room not covered by requests and candidates exist. */
  #wantsFill(): boolean {
    return this.active.size + this.handshake.fillPending() < this.active.capacity &&
      this.passive.size > 0;
  }

  #fill(now: number): void {
    const handshake = this.handshake;
    let missing = this.active.capacity - this.active.size - handshake.fillPending();
    if (missing <= 0) return;
    const shuffled = sample(
      this.#rng,
      this.passive.addresses(),
      this.passive.size,
      (address) => handshake.isPending(address) || this.#self.has(address, now),
    );
    const candidates = diverseFirst(shuffled, this.active.addresses()).slice(0, missing);
    // Short of half a view, ask at high priority: full peers may then make room (within their
    // eviction budget), so a late joiner in a saturated cluster is not stuck with one link.
    const high = this.active.size < Math.ceil(this.active.capacity / 2);
    for (const address of candidates) {
      handshake.request(address, high, false, now);
      missing--;
    }
    if (this.active.size === 0 && this.passive.size === 0 && handshake.pendingCount === 0) {
      this.retry.hurrySeeds(now);
    }
    this.#nextFill = now + this.ctx.options.probeIntervalMs;
  }

  #runRetries(now: number): void {
    for (const entry of this.retry.due(now)) {
      const address = entry.address;
      if (this.#self.has(address, now) || this.active.has(address)) {
        if (!entry.seed) this.retry.answered(address, entry.nodeId, now);
        continue;
      }
      this.counters.rejoinAttempts++;
      if (!entry.seed) {
        if (!this.handshake.isPending(address)) this.handshake.request(address, true, true, now);
      } else if (!this.#joined || this.active.size === 0) {
        this.handshake.join(address);
      } else {
        // Joined: a slow exchange with the seed mixes views across any past partition.
        this.exchange.shuffleWithSeed(address);
      }
    }
  }

  // ---- links --------------------------------------------------------------------------------

  /**
   * Links `address`, evicting a neighbour when the view is full; false (nothing changed) when the
   * view is full and admission control protects every neighbour or the eviction budget is spent.
   * An unsolicited newcomer also needs budget for a free slot that one of this node's own
   * outstanding requests is meant to fill: slots freed by a lost neighbour go to candidates this
   * node chose, not to whoever floods requests fastest.
   */
  #link(address: Address, nodeId: number, now: number, solicited = true): boolean {
    const free = this.active.capacity - this.active.size;
    if (!solicited && free > 0 && free <= this.handshake.fillPending()) {
      if (!this.admission.spend(now)) return false;
    }
    if (this.active.full) {
      const victim = this.admission.evictionVictim(
        this.active,
        address,
        now,
        this.#rng,
        (a) => this.detector.phase(a) === "idle",
      );
      if (victim === undefined) return false;
      this.counters.evictions++;
      this.#drop(victim, "evicted", now);
    }
    this.passive.remove(address);
    this.handshake.forget(address);
    this.retry.answered(address, nodeId, now);
    this.active.add(address, nodeId, now);
    this.detector.track(address, now, this.ctx.nodeId < nodeId);
    // The first probe is due a probe interval from now at the earliest (the other side waits
    // longer); a link made while handling a frame must move the engine's next tick earlier.
    this.ctx.wakeAt(now + this.ctx.options.probeIntervalMs);
    this.#joined = true;
    this.counters.linksUp++;
    this.ctx.peerEvent({ type: "up", address, nodeId });
    return true;
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
    // Our own id never describes a peer (a forged or echoed frame): keep the link as it is.
    if (nodeId === this.ctx.nodeId) return;
    const link = this.active.get(address);
    if (link && link.nodeId !== nodeId) {
      this.counters.restartsDetected++;
      this.#drop(address, "restarted", now);
      this.passive.add({ nodeId, address, age: 0 }, this.#rng);
    }
  }

  /** See {@linkcode OwnIdentity.fromSource}. */
  #isSelf(nodeId: number, from: Address): boolean {
    return this.#self.fromSource(nodeId, from, this.#now);
  }

  // ---- helpers ------------------------------------------------------------------------------

  #send(to: Address, type: NodeFrame["type"], value: number): void {
    this.ctx.outbox.push(to, { type, nodeId: this.ctx.nodeId, value });
  }
}
