/**
 * This node's part in keeping the shared tree (tree_links.ts) anchored: when it claims the anchor
 * role, and, while it holds it, the beacons that keep the tree alive and the rerooting messages
 * that rebuild it.
 *
 * A node claims the role as it publishes when no anchor is known and no smaller origin
 * has published lately, and only after two beacon periods up, so that a node that just (re)joined hears the standing anchor's beacon instead of
 * contesting it. The claiming message carries the Reroot flag: it floods and rebuilds the shared
 * tree as this node's tree of first arrivals. An anchor that has been silent for `anchorBeaconMs`
 * sends an empty beacon, and every {@linkcode ANCHOR_REROOT_MS} a rerooting one: by then the view
 * has changed, and grafts have patched the tree where it broke, deeper than paths from here.
 *
 * The role then walks toward the overlay's centre. Whoever publishes first is often far from it
 * (eccentricity 10 where the centre has 7 at 1,000 nodes), and a new origin's first message
 * travels the shared tree: up to twice the anchor's depth. After each rerooting message the
 * anchor counts its tree (tree_census.ts) and, on a claim or when its mean depth has grown by
 * {@linkcode DRIFT} since it settled, hands the role to the child with the largest subtree,
 * raising the term by one. That child claims and reroots; when its census shows a mean depth at
 * least {@linkcode IMPROVEMENT} below the one handed over, it hands on, else it settles: a greedy
 * descent on the mean depth with one flood per step, {@linkcode MAX_DESCENT_STEPS} at most, and
 * none once the mean depth is within {@linkcode NEAR_BOUND_HOPS} of the Moore bound (a step from
 * there was a flood spent for nothing).
 * (Handing the role to the centre of the anchor's own tree gains nothing: a tree of first
 * arrivals is already centred on its root; its deepest two subtrees measured 10 and 10 hops.)
 *
 * @module
 */

import type { EngineContext } from "../core/context.ts";
import { CensusKind, DataFlag, FrameType, type TreeCensusFrame } from "../wire/frame.ts";
import { type CensusResult, handoverExtra, handoverSteps } from "./tree_census.ts";
import type { TreeLinks } from "./tree_links.ts";

/** An anchor rebuilds the shared tree from itself this often (ms), and when it becomes anchor. */
export const ANCHOR_REROOT_MS = 30_000;
/** Handovers in one descent at most (each costs a flood of the overlay). */
export const MAX_DESCENT_STEPS = 8;
/** A handover counts as a step forward when the mean depth fell by this fraction. */
export const IMPROVEMENT = 0.02;
/** A settled anchor starts a new descent when its mean depth grew by this factor. */
export const DRIFT = 1.05;
/**
 * Hops the role walks down the largest subtrees at the first handover of a descent; one fewer at
 * each next one, down to one. (At 1,000 nodes one flood after a 3-hop walk reached the mean depth
 * that one-hop steps reached in three: 6.67 to 5.69.)
 */
export const FIRST_WALK_HOPS = 3;
/**
 * A descent ends once the tree's mean depth is within this many hops of the Moore bound
 * ({@linkcode mooreMeanDepth}): no overlay of that degree could give much more. At 1,000 nodes
 * (seeds 1-10, bound 4.43) the four steps taken from a mean depth under 5.19 gained nothing or
 * lost; each was a flood of about 4.7 payload copies per node, and the role stayed on the worse
 * node. (From 5.2-5.4, steps gained 3% twice and lost or missed the 2% threshold four times.)
 */
export const NEAR_BOUND_HOPS = 0.75;
/** A census decided at its deadline is trusted when it counted this share of the previous one. */
export const PARTIAL_TRUST = 0.95;
/** Terms stop here: a role at this term is never handed over. */
const MAX_TERM = 0xffffffff;

/** A beacon due: its data flags and the term it claims. */
export interface BeaconDue {
  /** Data flags of the beacon to send now, if any. */
  beacon: number | undefined;
  /** The term its payload carries. */
  term: number;
  /** When to ask again. */
  next: number;
}

/**
 * The Moore bound on a tree's mean depth: the smallest mean depth (the root's 0 included) that
 * `nodes` nodes can have below a root when no node has more than `degree` neighbours (`degree`
 * at the root, `degree - 1` children below it). The overlay's centre has a mean depth a little
 * above it (1,000 nodes, active views of 5: bound 4.43, centres 5.01-5.09 on seeds 1-8).
 */
export function mooreMeanDepth(nodes: number, degree: number): number {
  if (nodes <= 1 || degree < 1) return 0;
  let left = nodes - 1, depthSum = 0, layer = degree;
  for (let depth = 1; left > 0; depth++) {
    // A chain (degree 1 or 2) grows by at most `degree` nodes per layer.
    const placed = Math.min(left, Math.max(layer, 1));
    depthSum += placed * depth;
    left -= placed;
    layer = degree <= 2 ? layer : layer * (degree - 1);
  }
  return depthSum / nodes;
}

/** The term a beacon's payload carries (a 32-bit big-endian number; 0 when absent). */
export function termOf(flags: number, payload: Uint8Array): number {
  if ((flags & DataFlag.Beacon) === 0 || payload.length < 4) return 0;
  return new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0);
}

/** A beacon payload carrying `term`. */
export function termPayload(term: number): Uint8Array {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setUint32(0, term);
  return payload;
}

/** When this node claims, beacons and reroots the shared tree. */
export class AnchorRole {
  #startedAt = 0;
  #lastOwn = -Infinity;
  #lastReroot = -Infinity;
  /** The smallest origin heard publishing lately, and when it was last heard. */
  #smallest = Infinity;
  #smallestAt = -Infinity;
  /** This node claimed the role with its last rerooting message: a descent starts. */
  #claimed = false;
  /** The role was handed to this node with these figures; it reroots, then compares. */
  #handed: { nodes: number; depthSum: number; steps: number } | undefined;
  #takeOver = false;
  /** Mean depth when the last descent ended here. */
  #settledMean = Infinity;
  /** Descent figures of this node. */
  readonly counters = { handoversSent: 0, handoversTaken: 0 };

  /**
   * @param ctx The engine's shared state (options).
   * @param links The trees whose anchor this is about.
   */
  constructor(readonly ctx: EngineContext, readonly links: TreeLinks) {}

  /** The node started at `now`. */
  start(now: number): void {
    this.#startedAt = now;
  }

  /**
   * A message of `origin` was first seen at `now`. While no anchor is known, a node defers to a
   * smaller origin heard within two beacon periods: that one will claim as it next publishes.
   * Without this, every node publishing in the moment the first claim travels claims too, and
   * each claim floods (measured: 100 loopback nodes at 100 msgs/s, 2.7 copies per node).
   */
  heard(origin: number, now: number): void {
    if (origin <= this.#smallest || now - this.#smallestAt > 2 * this.ctx.options.anchorBeaconMs) {
      this.#smallest = origin;
      this.#smallestAt = now;
    }
  }

  /**
   * Flags for an own message of `origin` about to be published at `now`: the Reroot flag added
   * when this message claims the anchor role.
   */
  flagsFor(origin: number, flags: number, now: number): number {
    this.#lastOwn = now;
    if ((flags & (DataFlag.Chunk | DataFlag.Reroot)) !== 0 || !this.#enabled()) return flags;
    if (now - this.#startedAt < 2 * this.ctx.options.anchorBeaconMs) return flags;
    if (this.links.anchorAt(now) !== undefined) return flags;
    const window = 2 * this.ctx.options.anchorBeaconMs;
    if (this.#smallest < origin && now - this.#smallestAt <= window) return flags;
    if (!this.links.claim(origin, now)) return flags;
    this.#lastReroot = now;
    this.#claimed = true;
    this.#handed = undefined;
    return flags | DataFlag.Reroot;
  }

  /**
   * This node's census of its own tree is in: hand the role to the child with the largest
   * subtree when a descent starts or goes on (see the module notes).
   */
  onCensus(origin: number, result: CensusResult, now: number): void {
    if (this.links.anchorAt(now) !== origin) return;
    const { total, largest, epoch } = result;
    const mean = total.depthSum / Math.max(1, total.nodes);
    let steps = 0;
    const handed = this.#handed;
    this.#handed = undefined;
    // A census cut short by its deadline (losses, or links slower than the graft timeout says)
    // may miss whole subtrees: a step is compared on it only when it counted nearly every node
    // the previous anchor did. (The first step compares nothing: at 10% loss no census is
    // complete, and requiring one kept the role where it was claimed.)
    const trusted = result.complete || handed === undefined ||
      total.nodes >= PARTIAL_TRUST * handed.nodes;
    // Near the bound another step is a flood spent for little or nothing (see NEAR_BOUND_HOPS).
    const near = mean <=
      mooreMeanDepth(total.nodes, this.ctx.options.activeViewSize) + NEAR_BOUND_HOPS;
    if (handed !== undefined) {
      const before = handed.depthSum / Math.max(1, handed.nodes);
      steps = handed.steps;
      if (
        !trusted || near || mean >= before * (1 - IMPROVEMENT) || steps >= MAX_DESCENT_STEPS
      ) {
        this.#settledMean = mean;
        return;
      }
    } else if (!trusted || near || (!this.#claimed && mean <= this.#settledMean * DRIFT)) {
      this.#claimed = false;
      if (trusted || this.#settledMean === Infinity) this.#settledMean = mean;
      return;
    }
    this.#claimed = false;
    this.#settledMean = mean;
    if (largest === undefined || this.links.term >= MAX_TERM) return;
    this.ctx.outbox.push(largest, {
      type: FrameType.TreeCensus,
      kind: CensusKind.Handover,
      anchor: origin,
      epoch,
      nodes: total.nodes,
      depthSum: total.depthSum,
      extra: handoverExtra(steps, Math.max(0, FIRST_WALK_HOPS - 1 - steps)),
    });
    this.counters.handoversSent++;
  }

  /** The anchor handed this node the role (checked by tree_census.ts): claim it and reroot. */
  takeOver(frame: TreeCensusFrame, now: number): void {
    if (!this.#enabled() || this.links.term >= MAX_TERM) return;
    this.#handed = {
      nodes: frame.nodes,
      depthSum: frame.depthSum,
      steps: handoverSteps(frame.extra) + 1,
    };
    this.#takeOver = true;
    this.counters.handoversTaken++;
    this.ctx.wakeAt(now);
  }

  /**
   * While `origin` anchors the shared tree, the beacon due at `now` (its data flags), if any;
   * and when to ask again.
   */
  due(origin: number, now: number): BeaconDue {
    if (!this.#enabled()) return { beacon: undefined, term: 0, next: Infinity };
    if (this.#takeOver) {
      // The handed role is claimed at the next term, by a rerooting beacon.
      this.#takeOver = false;
      this.#lastReroot = now;
      this.#lastOwn = now;
      return {
        beacon: DataFlag.Beacon | DataFlag.Reroot,
        term: this.links.term + 1,
        next: now + this.ctx.options.anchorBeaconMs,
      };
    }
    if (this.links.anchorAt(now) !== origin) {
      this.#lastReroot = -Infinity;
      this.#handed = undefined;
      return { beacon: undefined, term: 0, next: Infinity };
    }
    let beacon: number | undefined;
    if (now - this.#lastReroot >= ANCHOR_REROOT_MS) {
      this.#lastReroot = now;
      beacon = DataFlag.Beacon | DataFlag.Reroot;
    } else if (now - this.#lastOwn >= this.ctx.options.anchorBeaconMs) {
      beacon = DataFlag.Beacon;
    }
    const lastOwn = beacon === undefined ? this.#lastOwn : now;
    const next = Math.min(
      lastOwn + this.ctx.options.anchorBeaconMs,
      this.#lastReroot + ANCHOR_REROOT_MS,
    );
    return { beacon, term: this.links.term, next };
  }

  #enabled(): boolean {
    return this.ctx.options.mode === "tree" && this.ctx.options.anchorBeaconMs > 0;
  }
}
