/**
 * Eager/lazy link state per origin: one broadcast tree for each recently active publisher, and a
 * shared tree that seeds them.
 *
 * Plumtree's paper keeps one set of eager links for all senders, which is right for one sender
 * and wrong for many: a duplicate from origin A prunes a link that origin B's tree needed, B's
 * next message grafts it back, and the tree drifts toward a deep random spanning tree (measured:
 * 32 hops at 1,000 nodes where a flood needs 12). Worse, two origins crossing the same cycle at
 * once prune two of its links and cut the tree. Like riak_core's broadcast, starling keeps the
 * link state per origin, so each origin's prunes, grafts and hop-count optimisations change only
 * its own tree. Unlike riak_core, a new origin's tree starts as a copy of the shared tree rather
 * than all-eager, so a first message costs about one copy per node instead of a flood.
 *
 * The shared tree is the tree of one origin, the anchor, which claims the role (anchor_role.ts):
 * of two claims the higher term wins, then the smaller origin id, so every node reaches the same
 * choice once it has heard the same claims. Only the anchor's own messages prune and graft it,
 * exactly as Plumtree does for a single sender, so it converges to the anchor's shortest-path tree
 * and stays consistent across nodes while any number of other origins publish. An anchor silent
 * for {@linkcode ANCHOR_IDLE_MS} leaves the role to the next origin that publishes.
 *
 * Bounds: at most `maxTrees` origin trees besides the anchor's (least recently used evicted,
 * counted), each holding at most the active view.
 *
 * @module
 */

import type { Address } from "../wire/address.ts";

/** The links of one broadcast tree, as this node sees them. */
export interface TreeState {
  /** Links payloads are pushed over. */
  readonly eager: Set<Address>;
  /** Links only ids are announced over. */
  readonly lazy: Set<Address>;
  /** The neighbour the last first-seen payload of this origin came from. */
  parent: Address | undefined;
  /** Messages of this origin forwarded through this tree. */
  messages: number;
  /**
   * Sequence number of the last rerooting beacon that rebuilt this tree: duplicates of older
   * messages, still travelling the old links, must not prune the new ones.
   */
  epoch: number;
  /**
   * Duplicates of this origin counted per link since that link's last prune or duplicate-free
   * stretch; only origin trees use it (see `PRUNE_AFTER_DUPLICATES` in plumtree.ts). Created on
   * first use, at most one entry per neighbour.
   */
  duplicates?: Map<Address, number>;
  /** When an origin tree was last used (a count of uses), for least-recently-used eviction. */
  lastUse?: number;
}

/** An anchor silent this long (ms) gives the shared tree to the next origin that publishes. */
export const ANCHOR_IDLE_MS = 30_000;

function copyTree(tree: TreeState): TreeState {
  return {
    eager: new Set(tree.eager),
    lazy: new Set(tree.lazy),
    parent: undefined,
    messages: 0,
    epoch: 0,
  };
}

/** The shared tree and the per-origin trees, reconciled with the active view. */
export class TreeLinks {
  /** The anchor origin's tree, the seed of new ones. */
  readonly shared: TreeState = {
    eager: new Set(),
    lazy: new Set(),
    parent: undefined,
    messages: 0,
    epoch: 0,
  };
  #anchor: number | undefined;
  #anchorTerm = 0;
  #anchorSeen = 0;
  #trees = new Map<number, TreeState>();
  /** Uses of origin trees so far: the clock of their least-recently-used eviction. */
  #uses = 0;
  #active: readonly Address[] = [];
  #activeSet = new Set<Address>();
  /** Origin trees evicted to respect the bound. */
  evicted = 0;

  /** @param maxTrees Most origin trees kept. */
  constructor(readonly maxTrees: number) {}

  /** Origin trees held. */
  get size(): number {
    return this.#trees.size;
  }

  /** The active view, as last synced. */
  get neighbours(): readonly Address[] {
    return this.#active;
  }

  /** True when `peer` is in the active view. */
  isActive(peer: Address): boolean {
    return this.#activeSet.has(peer);
  }

  /** Follows the active view: lost neighbours leave every tree, new ones start eager in all. */
  sync(active: readonly Address[]): void {
    if (active === this.#active) return;
    const before = this.#activeSet;
    const now = new Set(active);
    this.#active = active;
    this.#activeSet = now;
    const gone: Address[] = [];
    for (const peer of before) if (!now.has(peer)) gone.push(peer);
    const added: Address[] = [];
    for (const peer of active) if (!before.has(peer)) added.push(peer);
    if (gone.length === 0 && added.length === 0) return;
    for (const tree of this.#all()) {
      for (const peer of gone) {
        tree.eager.delete(peer);
        tree.lazy.delete(peer);
        tree.duplicates?.delete(peer);
        if (tree.parent === peer) tree.parent = undefined;
      }
      // A new neighbour usually replaces a lost one, whose subtree it may now have to carry.
      // Eager costs at most one duplicate (then a prune); lazy could cost a graft timeout.
      for (const peer of added) {
        tree.lazy.delete(peer);
        tree.eager.add(peer);
      }
    }
  }

  /** The origin whose tree is the shared tree, once one has published. */
  get anchor(): number | undefined {
    return this.#anchor;
  }

  /** The anchor's term: how many times the role was handed over since it was claimed. */
  get term(): number {
    return this.#anchorTerm;
  }

  /**
   * The anchor at `now`: one silent for {@linkcode ANCHOR_IDLE_MS} (crashed, or left) is released,
   * and the shared tree waits for the next claim.
   */
  anchorAt(now: number): number | undefined {
    if (this.#anchor !== undefined && now - this.#anchorSeen > ANCHOR_IDLE_MS) {
      this.#store(this.#anchor, copyTree(this.shared));
      this.#anchor = undefined;
      this.#anchorTerm = 0;
    }
    return this.#anchor;
  }

  /**
   * `origin` claims the anchor role at `term` (its beacon or rerooting message arrived, or this
   * node claims it for itself). The higher term wins a contest (a handover raises the term by
   * one: tree_census.ts), then the smaller origin id, so every node ends with the same anchor
   * however the claims crossed. Returns true when `origin` anchors the shared tree now.
   */
  claim(origin: number, now: number, term = 0): boolean {
    const anchor = this.anchorAt(now);
    if (origin === anchor) {
      this.#anchorSeen = now;
      this.#anchorTerm = Math.max(this.#anchorTerm, term);
      return true;
    }
    if (
      anchor !== undefined &&
      (term < this.#anchorTerm || (term === this.#anchorTerm && origin > anchor))
    ) {
      return false;
    }
    this.#anchorTerm = term;
    // The old anchor keeps the state it had as a tree of its own; the new anchor drives the
    // shared state from here on (and its rerooting message rebuilds it).
    if (anchor !== undefined) this.#store(anchor, copyTree(this.shared));
    this.#trees.delete(origin);
    this.#anchor = origin;
    this.#anchorSeen = now;
    this.shared.messages = 0;
    this.shared.parent = undefined;
    this.shared.epoch = 0;
    return true;
  }

  /** The tree of `origin` at time `now`, created from the shared tree when absent. */
  treeOf(origin: number, now: number): TreeState {
    if (origin === this.anchorAt(now)) {
      this.#anchorSeen = now;
      return this.shared;
    }
    const found = this.#trees.get(origin);
    if (found) {
      found.lastUse = ++this.#uses;
      return found;
    }
    const tree = copyTree(this.shared);
    this.#store(origin, tree);
    return tree;
  }

  /** The tree of `origin` when it has one, without creating or touching it. */
  peek(origin: number): TreeState | undefined {
    return origin === this.#anchor ? this.shared : this.#trees.get(origin);
  }

  #store(origin: number, tree: TreeState): void {
    this.#trees.set(origin, tree);
    tree.lastUse = ++this.#uses;
    if (this.#trees.size > this.maxTrees) {
      // The least recently used tree, found by a scan: only a new origin beyond the bound pays
      // for it, where re-inserting on every use cost every forwarded message a delete and a set.
      let oldest: number | undefined;
      let oldestUse = Infinity;
      for (const [key, held] of this.#trees) {
        const used = held.lastUse ?? 0;
        if (used < oldestUse) {
          oldest = key;
          oldestUse = used;
        }
      }
      this.#trees.delete(oldest!);
      this.evicted++;
    }
  }

  /** Makes `peer` lazy in `tree` (when it is a neighbour). */
  demote(tree: TreeState, peer: Address): void {
    tree.eager.delete(peer);
    if (this.#activeSet.has(peer)) tree.lazy.add(peer);
    if (tree.parent === peer) tree.parent = undefined;
  }

  /** Makes `peer` eager in `tree` (when it is a neighbour). */
  promote(tree: TreeState, peer: Address): void {
    if (!this.#activeSet.has(peer)) return;
    tree.lazy.delete(peer);
    tree.eager.add(peer);
  }

  /** Makes every neighbour eager in `tree`. */
  promoteAll(tree: TreeState): void {
    for (const peer of this.#active) this.promote(tree, peer);
  }

  /** The peer pruned the whole link: lazy in every tree. */
  demoteEverywhere(peer: Address): void {
    for (const tree of this.#all()) this.demote(tree, peer);
  }

  *#all(): Iterable<TreeState> {
    yield this.shared;
    yield* this.#trees.values();
  }
}
