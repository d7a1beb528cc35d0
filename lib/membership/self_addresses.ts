/**
 * The addresses at which this node has seen itself: a frame carrying its own node id came from
 * there (its own JOIN to a seed that is itself, a peer list echoing it back). They are kept out of
 * the views so the node never links to itself.
 *
 * Only datagram sources are learnt, never addresses written in frame bodies (anyone can write
 * anything there), and never the address of a live neighbour. What is learnt is bounded and
 * expires, so a forged frame can at worst hide a few addresses from the views for a while.
 * {@linkcode OwnIdentity} applies these rules to incoming frames.
 *
 * @module
 */

import type { Address } from "../wire/address.ts";
import { noEntries, ownMap } from "../core/no_entries.ts";

/** A bounded, expiring set of this node's own addresses. */
export class SelfAddresses {
  // Made at the first address learnt (see no_entries.ts).
  #until: Map<Address, number> = noEntries();
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
    this.#until = ownMap(this.#until);
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

/** Node addresses this node learnt are its own. */
export const SELF_CAPACITY = 4;
/** How long one sighting of this node at an address is believed. */
export const SELF_TTL_MS = 300_000;

/** What {@linkcode OwnIdentity} needs from the views. */
export interface IdentityHooks {
  /** True when `address` is a live neighbour (never learnt as an own address). */
  isNeighbor(address: Address): boolean;
  /** `address` was just learnt as this node's: drop it from the views. */
  learnt(address: Address): void;
}

/** This node's id and the addresses it was seen at: how frames carrying its own id are judged. */
export class OwnIdentity {
  readonly addresses: SelfAddresses = new SelfAddresses(SELF_CAPACITY, SELF_TTL_MS);

  /**
   * @param nodeId This incarnation's node id.
   * @param counters Where frames with the own id are counted.
   * @param hooks The views.
   */
  constructor(
    readonly nodeId: number,
    readonly counters: { ownIdFrames: number },
    readonly hooks: IdentityHooks,
  ) {}

  /** True when `address` is believed to be this node at `now`. */
  has(address: Address, now: number): boolean {
    return this.addresses.has(address, now);
  }

  /**
   * True when a frame with `nodeId` arriving from `from` (the datagram source) is this node's
   * own: it is ignored, and `from` is learnt as an own address unless it is a live neighbour (a
   * forged frame must not cut a working link). A frame with another id from an address believed
   * to be ours shows it is not.
   */
  fromSource(nodeId: number, from: Address, now: number): boolean {
    if (nodeId !== this.nodeId) {
      this.addresses.forget(from);
      return false;
    }
    this.counters.ownIdFrames++;
    if (!this.hooks.isNeighbor(from) && this.addresses.learn(from, now)) this.hooks.learnt(from);
    return true;
  }

  /** True (counted) when `nodeId`, read from a frame body, is this node's: nothing is learnt. */
  inBody(nodeId: number): boolean {
    if (nodeId !== this.nodeId) return false;
    this.counters.ownIdFrames++;
    return true;
  }
}
