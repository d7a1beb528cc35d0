/**
 * A census of the shared tree after each rerooting message of its anchor: every node learns the
 * size, depth sum and height of its subtree and reports them to its parent, so that the anchor
 * learns its tree's mean depth and which child leads to most of the nodes (anchor_role.ts uses
 * both to walk the role toward the overlay's centre).
 *
 * A rerooting message floods every link. A node's first copy names its parent and its depth (the
 * copy's hops). Every neighbour that is not its child sends it a copy too, since a node forwards
 * the flood over every link but the one its first copy came by; a child sends a report instead.
 * A node that sent a copy's sender nothing (its own first copy came over a one-sided link, or the
 * link was made after it forwarded) answers with a report of no nodes. So once each neighbour has
 * answered, the node knows its whole subtree and reports: a leaf as soon as its last neighbour's
 * copy came, the anchor about one tree depth after the flood reached the last node. No reply is awaited and nothing is retried: a node still missing a neighbour's
 * copy or whole report {@linkcode CENSUS_LATE_TIMEOUTS} graft timeouts after its first copy (a
 * datagram lost) reports what it has as partial, and again as late reports change it. The anchor
 * decides on what it has after {@linkcode CENSUS_WAIT_TIMEOUTS} graft timeouts at most.
 *
 * Hostile input: reports count only from active neighbours, for the current anchor and rerooting
 * message, once per neighbour (the latest wins), and never from a neighbour that sent a copy (it
 * is not a child). A lying child can inflate its subtree and draw a handover to itself; that
 * gives it no more than it could take by claiming the role outright (see anchor_role.ts), and
 * the number of handovers is bounded there. State: one entry per active neighbour.
 *
 * @module
 */

import type { EngineContext } from "../core/context.ts";
import type { Address } from "../wire/address.ts";
import { noEntries, noMembers, ownMap, ownSet } from "../core/no_entries.ts";
import { CensusKind, FrameType, type TreeCensusFrame } from "../wire/frame.ts";
import type { TreeLinks } from "./tree_links.ts";

/** The anchor decides on what it has after this many graft timeouts past its rerooting message. */
export const CENSUS_WAIT_TIMEOUTS = 4;
/** A node reports a partial count after this many graft timeouts past its first copy. */
export const CENSUS_LATE_TIMEOUTS = 2;

/**
 * The `extra` byte of a handover: the descent's handovers so far (bits 0-3) and the hops the role
 * still walks down the tree before a node takes it (bits 4-6).
 */
export function handoverExtra(steps: number, hopsLeft: number): number {
  return Math.min(steps, 15) | (Math.min(hopsLeft, 7) << 4);
}

/** Handovers so far in the descent, from a handover's `extra` byte. */
export function handoverSteps(extra: number): number {
  return extra & 15;
}

/** Hops the role still walks, from a handover's `extra` byte. */
export function handoverHopsLeft(extra: number): number {
  return (extra >> 4) & 7;
}

/** A subtree of the anchor's tree as counted. */
export interface CensusTotal {
  /** Nodes in it, its root included. */
  nodes: number;
  /** Sum of their depths below the anchor, in hops. */
  depthSum: number;
  /** Hops from its root to its deepest node. */
  height: number;
}

/** What the anchor learns once its census is in. */
export interface CensusResult {
  /** Sequence number of the rerooting message counted. */
  epoch: number;
  /** The whole tree. */
  total: CensusTotal;
  /** The child whose subtree has the most nodes, if any. */
  largest: Address | undefined;
  /** Every neighbour answered with its whole subtree (false: decided at the deadline). */
  complete: boolean;
}

/** One rerooting message's census, as this node takes part in it. */
export class TreeCensus {
  #anchor: number | undefined;
  #epoch = -1;
  #depth = 0;
  #parent: Address | undefined;
  /** This node rerooted: it is the root of the census. */
  #root = false;
  /**
   * The neighbours when the census started: a link made since carried no copy either way (both
   * ends had forwarded already), so it is not waited for.
   */
  #neighbours: readonly Address[] = [];
  /** Neighbours that sent a copy of the rerooting message: not children. */
  // Made at first use (see no_entries.ts): no census runs before the first message.
  #copies: Set<Address> = noMembers();
  #children: Map<Address, CensusTotal & { whole: boolean }> = noEntries();
  #sent: (CensusTotal & { whole: boolean }) | undefined;
  #deadline = Infinity;
  /** The first copy came over a link only its sender holds: this node forwarded nothing. */
  #silent = false;
  /** The deadline passed: report what is counted, and again as late reports change it. */
  #late = false;
  #done = false;
  /** Census traffic of this node. */
  readonly counters = { reportsSent: 0, reportsIgnored: 0 };

  /**
   * @param ctx The engine's shared state (options, outbox, timers).
   * @param links The trees: the active view and the anchor.
   * @param onResult Called at the root once per rerooting message with the whole tree's figures.
   * @param onHandover Called when this node's parent, the anchor, hands it the role.
   */
  constructor(
    readonly ctx: EngineContext,
    readonly links: TreeLinks,
    readonly onResult: (result: CensusResult, now: number) => void,
    readonly onHandover: (frame: TreeCensusFrame, now: number) => void,
  ) {}

  /** Depth of this node in the tree last counted (0 at the anchor). */
  get depth(): number {
    return this.#depth;
  }

  /** The parent in the tree last counted (undefined at the anchor). */
  get parent(): Address | undefined {
    return this.#parent;
  }

  /**
   * The first copy of rerooting message `epoch` of `anchor` came over `from` after `hops` hops
   * (this node's own: `from` undefined, 0 hops). A census starts.
   */
  rerooted(
    anchor: number,
    epoch: number,
    from: Address | undefined,
    hops: number,
    now: number,
  ): void {
    this.#anchor = anchor;
    this.#epoch = epoch;
    this.#depth = hops;
    this.#parent = from;
    this.#root = from === undefined;
    this.#neighbours = this.links.neighbours;
    // Only when not empty: clearing gives a map a new table even when it was empty.
    if (this.#copies.size > 0) this.#copies.clear();
    if (this.#children.size > 0) this.#children.clear();
    this.#sent = undefined;
    this.#late = false;
    this.#silent = from !== undefined && !this.links.isActive(from);
    this.#done = false;
    const wait = this.ctx.options.graftTimeoutMs *
      (this.#root ? CENSUS_WAIT_TIMEOUTS : CENSUS_LATE_TIMEOUTS);
    this.#deadline = now + wait;
    this.ctx.wakeAt(this.#deadline);
    // The sender of a copy over a one-sided link waits for an answer that would never come.
    if (this.#silent) this.#noChild(from!);
    // Hello: the parent learns at once that this node is its child.
    else if (!this.#root) this.#report(false);
  }

  /**
   * Another copy of rerooting message `epoch` of `anchor` came over `from` after `hops` hops: not
   * a child. When the first copy came over a link only its sender holds, this neighbour is the
   * parent instead (as in plumtree.ts).
   */
  copy(anchor: number, epoch: number, from: Address, hops: number, now: number): void {
    if (anchor !== this.#anchor || epoch !== this.#epoch) return;
    const parent = this.#parent;
    if (
      !this.#root && parent !== undefined && !this.links.isActive(parent) &&
      this.links.isActive(from)
    ) {
      this.#parent = from;
      this.#depth = hops;
      this.#children.delete(from);
      this.#report(false);
      this.#check(now);
      return;
    }
    // A neighbour that sent this node a copy gets one back, unless this node forwarded nothing,
    // the link is one-sided or was made after this node forwarded: then it is told so, or it
    // would wait for this node's report.
    if (this.#silent || !this.links.isActive(from) || !this.#neighbours.includes(from)) {
      this.#noChild(from);
    }
    if (!this.links.isActive(from)) return;
    (this.#copies = ownSet(this.#copies)).add(from);
    this.#children.delete(from);
    this.#check(now);
  }

  /** Tells `to` that this node is not its child (a whole report of no nodes). */
  #noChild(to: Address): void {
    if (this.#anchor === undefined) return;
    this.ctx.outbox.push(to, {
      type: FrameType.TreeCensus,
      kind: CensusKind.Report,
      anchor: this.#anchor,
      epoch: this.#epoch,
      nodes: 0,
      depthSum: 0,
      extra: 0,
    });
    this.counters.reportsSent++;
  }

  /** A census frame from `from`. */
  onFrame(frame: TreeCensusFrame, from: Address, now: number): void {
    const current = frame.anchor === this.#anchor && frame.epoch === this.#epoch;
    if (frame.kind === CensusKind.Handover) {
      // The role walks down from the anchor, parent to child, along the largest subtrees.
      if (!current || from !== this.#parent || this.#root) {
        this.counters.reportsIgnored++;
        return;
      }
      const hopsLeft = handoverHopsLeft(frame.extra);
      const next = hopsLeft > 0 ? this.largestChild() : undefined;
      if (next === undefined) this.onHandover(frame, now);
      else {
        this.ctx.outbox.push(next, {
          ...frame,
          extra: handoverExtra(handoverSteps(frame.extra), hopsLeft - 1),
        });
      }
      return;
    }
    if (
      !current || !this.links.isActive(from) || from === this.#parent || this.#copies.has(from)
    ) {
      this.counters.reportsIgnored++;
      return;
    }
    const whole = frame.kind === CensusKind.Report;
    if (whole && frame.nodes === 0) {
      // Not a child after all: it forwarded nothing, or holds the link on its side only.
      (this.#copies = ownSet(this.#copies)).add(from);
      this.#children.delete(from);
      this.#check(now);
      return;
    }
    // Datagrams overtake each other: a hello or partial count arriving after the whole one, or
    // after a larger partial one, is stale.
    const known = this.#children.get(from);
    if (known !== undefined && !whole && (known.whole || known.nodes > frame.nodes)) return;
    (this.#children = ownMap(this.#children)).set(from, {
      nodes: frame.nodes,
      depthSum: frame.depthSum,
      height: frame.extra,
      whole,
    });
    this.#check(now);
  }

  /** Reports or decides when the deadline passed; returns the next deadline. */
  tick(now: number): number {
    if (now >= this.#deadline) {
      this.#late = true;
      this.#deadline = Infinity;
      this.#check(now);
    }
    return this.#deadline;
  }

  /** This node's subtree as counted so far. */
  total(): CensusTotal {
    let nodes = 1, depthSum = this.#depth, height = 0;
    for (const [child, report] of this.#children) {
      if (!this.links.isActive(child)) continue;
      nodes += report.nodes;
      depthSum += report.depthSum;
      height = Math.max(height, report.height + 1);
    }
    return {
      nodes: Math.min(nodes, 0xffffff),
      depthSum: Math.min(depthSum, 0xffffffff),
      height: Math.min(height, 255),
    };
  }

  /** The child whose subtree has the most nodes, as counted so far. */
  largestChild(): Address | undefined {
    let largest: Address | undefined;
    let most = 0;
    for (const [child, report] of this.#children) {
      if (this.links.isActive(child) && report.nodes > most) {
        most = report.nodes;
        largest = child;
      }
    }
    return largest;
  }

  /** True once every neighbour has sent a copy or a whole report (or is the parent). */
  #complete(): boolean {
    for (const peer of this.#neighbours) {
      if (peer === this.#parent || this.#copies.has(peer) || !this.links.isActive(peer)) continue;
      const child = this.#children.get(peer);
      if (child === undefined || !child.whole) return false;
    }
    return true;
  }

  #check(now: number): void {
    if (this.#anchor === undefined) return;
    const whole = this.#complete();
    if (!this.#late && !whole) return;
    if (this.#root) {
      if (this.#done) return;
      this.#done = true;
      this.#deadline = Infinity;
      this.onResult({
        epoch: this.#epoch,
        total: this.total(),
        largest: this.largestChild(),
        complete: whole,
      }, now);
      return;
    }
    this.#report(whole);
  }

  /** Sends this node's count to its parent when it changed. */
  #report(whole: boolean): void {
    const parent = this.#parent;
    if (parent === undefined || !this.links.isActive(parent) || this.#anchor === undefined) return;
    const total = this.total();
    const sent = this.#sent;
    if (
      sent && sent.nodes === total.nodes && sent.depthSum === total.depthSum &&
      sent.height === total.height && sent.whole === whole
    ) return;
    this.#sent = { ...total, whole };
    this.ctx.outbox.push(parent, {
      type: FrameType.TreeCensus,
      kind: whole ? CensusKind.Report : CensusKind.Partial,
      anchor: this.#anchor,
      epoch: this.#epoch,
      nodes: total.nodes,
      depthSum: total.depthSum,
      extra: total.height,
    });
    this.counters.reportsSent++;
  }
}
