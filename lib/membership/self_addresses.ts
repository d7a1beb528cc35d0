/**
 * The addresses at which this node has seen itself: a frame carrying its own node id came from
 * there (its own JOIN to a seed that is itself, a peer list echoing it back). They are kept out of
 * the views so the node never links to itself.
 *
 * Only datagram sources are learnt, never addresses written in frame bodies (anyone can write
 * anything there), and never the address of a live neighbour. What is learnt is bounded and
 * expires, so a forged frame can at worst hide a few addresses from the views for a while.
 *
 * @module
 */

import type { Address } from "../wire/address.ts";

/** A bounded, expiring set of this node's own addresses. */
export class SelfAddresses {
  #until = new Map<Address, number>();
  /** Learnt addresses dropped because the set was full. */
  forgotten = 0;

  /**
   * @param capacity Most addresses remembered.
   * @param ttlMs How long one sighting is believed.
   */
  constructor(readonly capacity: number, readonly ttlMs: number) {}

  /** Addresses currently believed to be this node's. */
  get size(): number {
    return this.#until.size;
  }

  /** Records that this node was seen at `address`; returns true when it was not known yet. */
  learn(address: Address, now: number): boolean {
    const known = this.#until.has(address);
    this.#until.delete(address);
    this.#until.set(address, now + this.ttlMs);
    while (this.#until.size > this.capacity) {
      this.#until.delete(this.#until.keys().next().value as Address);
      this.forgotten++;
    }
    return !known;
  }

  /** True when `address` is believed to be this node at `now`. */
  has(address: Address, now: number): boolean {
    const until = this.#until.get(address);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#until.delete(address);
    return false;
  }

  /** `address` spoke with another node id: it is not (or no longer) this node. */
  forget(address: Address): void {
    this.#until.delete(address);
  }
}
