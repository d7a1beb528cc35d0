/**
 * The suspicion stage of failure detection, as Lifeguard adds it to SWIM (Dadgar et al. 2017),
 * fitted to HyParView's partial views: only a node's neighbours probe it, so suspicion and
 * refutation travel between the two ends of a link rather than through the whole cluster.
 *
 * - A neighbour that missed both the direct and the indirect answers is **suspected**, not dead.
 *   For the suspicion window the suspecter sends the suspect a notice (SUSPICION/suspect, with the
 *   suspect's incarnation as it knows it and a fresh random nonce) twice per probe timeout, and
 *   asks helpers to probe it again once per probe timeout.
 * - The suspect **refutes**: a notice naming its current incarnation bumps it by one, and it
 *   answers SUSPICION/alive with the new incarnation and the notice's nonce. Only such an answer,
 *   or a PONG to the probe (directly or relayed by a helper), ends the suspicion; ordinary traffic
 *   from the suspect's address does not (an off-path sender can forge that, not the nonce).
 * - Each helper that probed the suspect in vain reports a NACK: an independent **confirmation**.
 *   The window shrinks from its maximum towards its minimum as confirmations arrive, as
 *   memberlist's does: `max − (max − min) · log(c + 1) / log(k + 1)` for c of k expected.
 *
 * Hostile-safety. Nothing a third party says starts a suspicion or declares a node dead: only this
 * node's own failed probes do, and confirmations count only from helpers this node asked in this
 * suspicion, once each, never shortening the window below its minimum. A notice is taken only
 * from a current neighbour, and one that names an incarnation above the node's own is forged and
 * ignored, so incarnations grow by at most one per notice answered. A dead node cannot be kept
 * alive by replays (the nonce is fresh per suspicion) nor for ever by a helper relaying forged
 * PONGs: after {@linkcode MAX_RELAYED_REFUTATIONS} suspicions ended by relays alone, with nothing
 * heard from the suspect itself in between, only the suspect's own answer counts. A notice from a
 * node that is not a neighbour is answered with DISCONNECT (its link is one-sided), as a PING is.
 *
 * @module
 */

import type { EngineContext } from "../core/context.ts";
import type { Address } from "../wire/address.ts";
import { FrameType, type SuspicionFrame, SuspicionKind } from "../wire/frame.ts";
import type { ActiveView } from "./active_view.ts";
import type { FailureDetector } from "./failure_detector.ts";

/** Shortest suspicion window, in probe timeouts (4 × 300 ms = 1.2 s by default). */
export const SUSPICION_MIN_TIMEOUTS = 4;
/** Longest suspicion window, in probe timeouts (6 × 300 ms = 1.8 s by default). */
export const SUSPICION_MAX_TIMEOUTS = 6;
/** Suspicions in a row that relayed PONGs alone may end. */
export const MAX_RELAYED_REFUTATIONS = 3;

/**
 * The suspicion window after `confirmations` of `expected` independent confirmations: `maxMs`
 * with none, falling logarithmically to `minMs` with all of them.
 *
 * @example
 * ```ts
 * import { suspicionWindow } from "./suspicion.ts";
 * if (suspicionWindow(1500, 2400, 0, 3) !== 2400) throw new Error("no confirmation: max");
 * if (suspicionWindow(1500, 2400, 3, 3) !== 1500) throw new Error("all confirmations: min");
 * ```
 */
export function suspicionWindow(
  minMs: number,
  maxMs: number,
  confirmations: number,
  expected: number,
): number {
  if (expected <= 0 || confirmations <= 0) return maxMs;
  const c = Math.min(confirmations, expected);
  const shrink = Math.log(c + 1) / Math.log(expected + 1);
  return Math.max(minMs, Math.floor(maxMs - (maxMs - minMs) * shrink));
}

/** A SUSPICION frame of `kind` from `nodeId` (incarnation 0: notices set it). */
export function suspicion(kind: number, nodeId: number, value: number): SuspicionFrame {
  return { type: FrameType.Suspicion, kind, nodeId, incarnation: 0, value };
}

/** Counters of the suspect's side. */
export interface RefutationCounters {
  /** This node's incarnation: how many times it refuted a suspicion of itself. */
  incarnation: number;
  /** ALIVE answers sent to suspicion notices. */
  alivesSent: number;
  /** Suspicion frames ignored: not from a neighbour, or naming an incarnation not yet reached. */
  suspicionIgnored: number;
}

/** Handles SUSPICION frames: answers notices about this node, passes the rest to the detector. */
export class Refutation {
  /** Counters for `stats()`. */
  readonly counters: RefutationCounters = { incarnation: 0, alivesSent: 0, suspicionIgnored: 0 };

  /**
   * @param ctx The engine's shared state (node id, outbox, wake-ups).
   * @param active The neighbours: notices and ALIVEs count only from them.
   * @param detector The failure detector this node runs.
   * @param stranger Called for a notice from an address that is not a neighbour: the sender
   *   keeps a one-sided link (our DISCONNECT was lost), so it should be told, as a PING from it
   *   would be; otherwise it would suspect this node to death.
   */
  constructor(
    readonly ctx: EngineContext,
    readonly active: ActiveView,
    readonly detector: FailureDetector,
    readonly stranger: (from: Address) => void = () => {},
  ) {}

  /** This node's incarnation (0 until it first refutes a suspicion). */
  get incarnation(): number {
    return this.counters.incarnation;
  }

  /** A SUSPICION frame from `from`. */
  onFrame(frame: SuspicionFrame, from: Address, now: number): void {
    if (frame.kind === SuspicionKind.Nack) {
      const wake = this.detector.nacked(from, frame.value);
      if (wake === undefined) this.counters.suspicionIgnored++;
      else this.ctx.wakeAt(wake);
      return;
    }
    const link = this.active.get(from);
    if (!link || link.nodeId !== frame.nodeId) {
      this.counters.suspicionIgnored++;
      if (!link && frame.kind === SuspicionKind.Suspect) this.stranger(from);
      return;
    }
    if (frame.kind === SuspicionKind.Alive) {
      if (!this.detector.alive(from, frame.incarnation, frame.value, now)) {
        this.counters.suspicionIgnored++;
      }
      return;
    }
    const own = this.counters.incarnation;
    if (frame.incarnation > own) {
      // Only this node raises its incarnation: a notice ahead of it is forged.
      this.counters.suspicionIgnored++;
      return;
    }
    if (frame.incarnation === own && own < 0xffff_ffff) {
      this.counters.incarnation = own + 1;
      this.detector.health.suspected(now);
    }
    this.counters.alivesSent++;
    this.ctx.outbox.push(from, {
      ...suspicion(SuspicionKind.Alive, this.ctx.nodeId, frame.value),
      incarnation: this.counters.incarnation,
    });
  }
}
