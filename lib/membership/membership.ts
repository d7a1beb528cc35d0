/**
 * Membership: who a node knows and who its neighbours are.
 *
 * A node knows only a small part of the cluster: an active view of `activeViewSize` symmetric,
 * probed neighbour links (HyParView), over which the broadcast trees run, and a passive view of
 * `passiveViewSize` candidates kept random and fresh by gossip-based peer sampling. Failed
 * neighbours are detected SWIM-style and replaced from the passive view; lost neighbours and
 * seeds are retried with backoff, so a healed partition merges again by itself. See
 * hyparview.ts for the protocol and docs/MEMBERSHIP.md for the design.
 *
 * @module
 */

import type { EngineContext } from "../core/context.ts";
import { randomInt, sample } from "../core/prng.ts";
import type { Address } from "../wire/address.ts";
import type { Frame } from "../wire/frame.ts";
import { HyParView } from "./hyparview.ts";

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

/** HyParView membership over a peer-sampling passive view, with SWIM probing and rejoin. */
export class Membership {
  /** The protocol state (views, detector, rejoin list). */
  readonly protocol: HyParView;

  /** @param ctx The engine's shared state. */
  constructor(readonly ctx: EngineContext) {
    this.protocol = new HyParView(ctx);
  }

  /** This node's timers fired `lagMs` late at `now`: it is the slow one (local health). */
  lagged(lagMs: number, now: number): void {
    this.protocol.detector.health.lagged(lagMs, this.ctx.options.probeTimeoutMs, now);
  }

  /** True once a seed (or any peer) has answered, or when there are no seeds. */
  get joined(): boolean {
    return this.protocol.joined;
  }

  /** Schedules the periodic work and sends the first joins. */
  start(now: number): void {
    this.protocol.start(now);
  }

  /** Adds seed candidates (from options or discovery) and contacts the new ones. */
  addSeeds(addresses: readonly Address[], now: number): void {
    this.protocol.addSeeds(addresses, now);
  }

  /** Handles a membership frame; returns false for frames of other parts. */
  onFrame(frame: Frame, from: Address, now: number): boolean {
    return this.protocol.onFrame(frame, from, now);
  }

  /** `from` handed this node a message it had not seen: credit it as a useful neighbour. */
  delivered(from: Address): void {
    this.protocol.active.credit(from);
  }

  /** Any datagram from `from` shows it is alive. */
  heard(from: Address, now: number): void {
    this.protocol.heard(from, now);
  }

  /** True when `address` turned out to be this node's own. */
  isOwnAddress(address: Address): boolean {
    return this.protocol.isOwnAddress(address);
  }

  /** `from` asked this node to prove its address: a JOIN it may have refused is sent again. */
  onChallenge(from: Address, _now: number): void {
    this.protocol.onChallenge(from);
  }

  /** Runs due work; returns the absolute time it next wants to run. */
  tick(now: number): number {
    return this.protocol.tick(now);
  }

  /** Up to `count` random peers of the active and passive views, other than `except`. */
  samplePeers(count: number, except?: Address): Address[] {
    const active = this.protocol.active.addresses();
    const passive = this.protocol.passive;
    if (count === 1 && except === undefined) {
      // The anti-entropy partner, every round: one draw, as `sample` makes, without building
      // the list of every known peer (a list kept per node until the next shuffle was old-space
      // garbage in large simulations).
      const known = active.length + passive.size;
      if (known === 0) return [];
      const i = randomInt(this.ctx.rng, known);
      return [i < active.length ? active[i]! : passive.addressAt(i - active.length)];
    }
    const known = this.knownPeers();
    if (except === undefined) return sample(this.ctx.rng, known, count);
    return sample(this.ctx.rng, known, count, (address) => address === except);
  }

  /** The active view: symmetric neighbours; the same array until the view changes. */
  activePeers(): readonly Address[] {
    return this.protocol.active.addresses();
  }

  /** Every peer this node knows: active ∪ passive (a new array). */
  knownPeers(): Address[] {
    return [...this.protocol.active.addresses(), ...this.protocol.passive.addresses()];
  }

  /** Membership figures for `Engine.stats()`. */
  stats(): MembershipStats {
    const p = this.protocol;
    return {
      peers: p.active.size + p.passive.size,
      activeView: p.active.size,
      passiveView: p.passive.size,
      pendingNeighbors: p.pendingRequests,
      rejoinList: p.retry.lostCount,
      passiveDropped: p.passive.dropped,
      lostForgotten: p.retry.forgotten,
      passiveDroppedOverShare: p.passive.droppedOverShare,
      ...p.counters,
      ...p.detector.counters,
      ...p.refutation.counters,
      ...p.admission.counters,
    };
  }
}
