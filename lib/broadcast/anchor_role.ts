/**
 * This node's part in keeping the shared tree (tree_links.ts) anchored: when it claims the anchor
 * role, and, while it holds it, the beacons that keep the tree alive and the rerooting messages
 * that rebuild it.
 *
 * A node claims the role as it publishes when it knows no anchor. (Waiting two beacon periods
 * first, so that a newcomer would hear the standing anchor's beacon rather than contest it, left
 * a new cluster without an anchor for 4 s, flooding every origin's first message: 100 loopback
 * nodes at 100 msgs/s had a 900 ms p99. A contest costs one flood, and the smaller id wins it.)
 * The claiming message carries the Reroot flag: it floods and rebuilds the shared
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
  #lastOwn = -Infinity;
  #lastReroot = -Infinity;

  /**
   * @param ctx The engine's shared state (options).
   * @param links The trees whose anchor this is about.
   */
  constructor(readonly ctx: EngineContext, readonly links: TreeLinks) {}

  /**
   * Flags for an own message of `origin` about to be published at `now`: the Reroot flag added
   * when this message claims the anchor role.
   */
  flagsFor(origin: number, flags: number, now: number): number {
    this.#lastOwn = now;
    if ((flags & (DataFlag.Chunk | DataFlag.Reroot)) !== 0 || !this.#enabled()) return flags;
    if (this.links.anchorAt(now) !== undefined || !this.links.claim(origin, now)) return flags;
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
