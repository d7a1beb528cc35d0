/**
 * SWIM probing of the active links, as HyParView uses it: PING and its PONG, PING_REQ relays for
 * indirect probes, and the suspicion stage with refutation (failure_detector.ts, suspicion.ts).
 * This file wires the detector to the wire and answers the probes of others.
 *
 * @module
 */

import type { EngineContext } from "../core/context.ts";
import { sample } from "../core/prng.ts";
import type { Address } from "../wire/address.ts";
import { FrameType, type NodeFrame, SuspicionKind } from "../wire/frame.ts";
import type { ActiveView } from "./active_view.ts";
import { FailureDetector, INDIRECT_BIT, type ProbeActions } from "./failure_detector.ts";
import { Refutation, suspicion } from "./suspicion.ts";

/** What probing needs from the rest of membership. */
export interface ProbingHost {
  /** The links probed. */
  readonly active: ActiveView;
  /** Passive peers, helpers of last resort for indirect probes. */
  passiveAddresses(): readonly Address[];
  /** True while a neighbour request or a join with `address` is under way. */
  linking(address: Address): boolean;
  /** True when the frame is this node's own, looped back (see self_addresses.ts). */
  isSelf(nodeId: number, from: Address): boolean;
  /** A frame from `address` carried `nodeId` (a restarted neighbour is dropped). */
  checkIdentity(address: Address, nodeId: number, now: number): void;
  /** Sends a node frame. */
  send(to: Address, type: NodeFrame["type"], value: number): void;
}

/** Probes of the active links and answers to the probes of others. */
export class Probing implements ProbeActions {
  /** Probes, suspicions and deaths of the active links. */
  readonly detector: FailureDetector;
  /** This node's incarnation and its answers to suspicion notices. */
  readonly refutation: Refutation;

  /**
   * @param ctx The engine's shared state.
   * @param host Membership's views and links.
   */
  constructor(readonly ctx: EngineContext, readonly host: ProbingHost) {
    // This object carries out the detector's actions (methods, not a fresh object of arrow
    // functions per engine: see HyParView's class doc).
    this.detector = new FailureDetector(ctx.options, this, ctx.rng);
    this.refutation = new Refutation(ctx, host.active, this.detector, (from) => {
      if (!host.linking(from)) host.send(from, FrameType.Disconnect, 0);
    });
  }

  /** Detector action: sends a PING with `value` to `target`. */
  ping(target: Address, value: number): void {
    this.host.send(target, FrameType.Ping, value);
  }

  /** Detector action: asks `helper` to probe `target` and answer with `value`. */
  pingReq(helper: Address, target: Address, value: number): void {
    this.ctx.outbox.push(helper, {
      type: FrameType.PingReq,
      nodeId: this.ctx.nodeId,
      value,
      target,
    });
  }

  /** Detector action: up to `count` peers other than `target` to ask for indirect probes. */
  helpers(target: Address, count: number): Address[] {
    return this.#helpers(target, count);
  }

  /** Detector action: tells `target` it is suspected at `incarnation` (answer with `nonce`). */
  notice(target: Address, incarnation: number, nonce: number): void {
    this.ctx.outbox.push(target, {
      ...suspicion(SuspicionKind.Suspect, this.ctx.nodeId, nonce),
      incarnation,
    });
  }

  /** Detector action: the target of `requester`'s probe `value` did not answer this helper. */
  nack(requester: Address, value: number): void {
    this.ctx.outbox.push(requester, suspicion(SuspicionKind.Nack, this.ctx.nodeId, value));
  }

  /** A PING: answered with a PONG; a direct one from a non-neighbour also with DISCONNECT. */
  onPing(nodeId: number, value: number, from: Address, now: number): void {
    const host = this.host;
    if (host.isSelf(nodeId, from)) return;
    host.send(from, FrameType.Pong, value);
    if ((value & INDIRECT_BIT) !== 0) return;
    host.checkIdentity(from, nodeId, now);
    if (!host.active.has(from) && !host.linking(from)) {
      // The sender believes we are neighbours; we are not. Tell it, so links stay symmetric.
      host.send(from, FrameType.Disconnect, 0);
    }
  }

  /** A PONG: relayed on when it answers a relay, else matched against this node's probes. */
  onPong(nodeId: number, value: number, from: Address, now: number): void {
    const relay = this.detector.finishRelay(value);
    if (relay) {
      this.ctx.outbox.push(relay.requester, { type: FrameType.Pong, nodeId, value: relay.seq });
      return;
    }
    // An unmatched PONG is stale, and may be a relayed answer (it carries the probed target's
    // id, not the relay's): checking the relay's identity against it dropped healthy links
    // about once per node per second at 10% loss. Only a matched PONG says who answered.
    const target = this.detector.acknowledged(value, now, from);
    if (target !== undefined) this.host.checkIdentity(target, nodeId, now);
  }

  /** A PING_REQ: probe `target` on the requester's behalf. */
  onPingReq(nodeId: number, value: number, target: Address, from: Address, now: number): void {
    if (this.host.isSelf(nodeId, from)) return;
    const relayed = this.detector.startRelay(from, value, now);
    if (relayed !== undefined) this.host.send(target, FrameType.Ping, relayed);
  }

  #helpers(target: Address, count: number): Address[] {
    const rng = this.ctx.rng;
    const helpers = sample(rng, this.host.active.addresses(), count, (a) => a === target);
    if (helpers.length < count) {
      const passive = this.host.passiveAddresses();
      helpers.push(...sample(rng, passive, count - helpers.length, (a) => a === target));
    }
    return helpers;
  }
}
