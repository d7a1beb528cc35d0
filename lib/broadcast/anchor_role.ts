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
 * @module
 */

import type { EngineContext } from "../core/context.ts";
import { DataFlag } from "../wire/frame.ts";
import type { TreeLinks } from "./tree_links.ts";

/** An anchor rebuilds the shared tree from itself this often (ms), and when it becomes anchor. */
export const ANCHOR_REROOT_MS = 30_000;

/** When this node claims, beacons and reroots the shared tree. */
export class AnchorRole {
  #startedAt = 0;
  #lastOwn = -Infinity;
  #lastReroot = -Infinity;
  /** The smallest origin heard publishing lately, and when it was last heard. */
  #smallest = Infinity;
  #smallestAt = -Infinity;

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
    return flags | DataFlag.Reroot;
  }

  /**
   * While `origin` anchors the shared tree, the beacon due at `now` (its data flags), if any;
   * and when to ask again.
   */
  due(origin: number, now: number): { beacon: number | undefined; next: number } {
    if (!this.#enabled()) return { beacon: undefined, next: Infinity };
    if (this.links.anchorAt(now) !== origin) {
      this.#lastReroot = -Infinity;
      return { beacon: undefined, next: Infinity };
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
    return { beacon, next };
  }

  #enabled(): boolean {
    return this.ctx.options.mode === "tree" && this.ctx.options.anchorBeaconMs > 0;
  }
}
