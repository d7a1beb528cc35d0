/**
 * Which neighbours lose the payloads pushed to them: per peer, how many payloads this node pushed
 * over the link and how many of them the peer grafted back (it asked for a payload this node had
 * pushed it, so the push was lost). Announcements (announcements.ts) spend datagrams of their own
 * on the links this marks lossy, and only on those: on a link that loses nothing they ride on
 * datagrams that go anyway.
 *
 * Bounds: one entry per peer, swept of peers that left the active view once they number
 * 4 × its size.
 *
 * @module
 */

import type { Address } from "../wire/address.ts";

/**
 * Pushes over which a link's counts are kept: past twice this, both counts halve, so a link's
 * loss share is that of its last pushes, and a loss is forgotten after a few hundred.
 */
export const LOSS_WINDOW_PUSHES = 64;

/** Push and loss counts of one link. */
interface LinkCounts {
  pushes: number;
  losses: number;
}

/** Per-neighbour counts of pushed and lost payloads. */
export class LinkLoss {
  #links = new Map<Address, LinkCounts>();

  /**
   * @param isActive Whether a peer is still a neighbour (for the sweep).
   * @param maxLinks Entries beyond which those of former neighbours are swept.
   */
  constructor(
    readonly isActive: (peer: Address) => boolean,
    readonly maxLinks: number,
  ) {}

  /** A payload was pushed to `peer`. */
  pushed(peer: Address): void {
    const link = this.#links.get(peer) ?? this.#add(peer);
    link.pushes++;
    if (link.pushes >= 2 * LOSS_WINDOW_PUSHES) {
      link.pushes /= 2;
      link.losses /= 2;
    }
  }

  /** `peer` asked for a payload this node had pushed it: the push was lost. */
  lost(peer: Address): void {
    const link = this.#links.get(peer) ?? this.#add(peer);
    link.losses++;
  }

  /**
   * True when `peer` lost a push among the last {@linkcode LOSS_WINDOW_PUSHES} or so (a loss
   * share of about 1% or more). On a loss-free link no graft ever asks for a pushed payload: its
   * echo (announcements.ts) follows the payload on the same link.
   */
  lossy(peer: Address): boolean {
    const link = this.#links.get(peer);
    return link !== undefined && link.losses >= 1;
  }

  /** The link to `peer` went down or came up: its history is not the new link's. */
  forget(peer: Address): void {
    this.#links.delete(peer);
  }

  #add(peer: Address): LinkCounts {
    if (this.#links.size >= this.maxLinks) {
      for (const known of this.#links.keys()) {
        if (!this.isActive(known)) this.#links.delete(known);
      }
    }
    const link = { pushes: 0, losses: 0 };
    this.#links.set(peer, link);
    return link;
  }
}
