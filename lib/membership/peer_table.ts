/**
 * The peers a node knows, bounded in entries. Entries are keyed by address and carry the peer's
 * current node id; a peer that restarts on the same address replaces its old id. When full, the
 * peer heard from least recently is forgotten.
 *
 * @module
 */

import type { Address } from "../wire/address.ts";
import type { PeerEntry } from "../wire/frame.ts";
import { type Prng, sample } from "../engine/prng.ts";

interface KnownPeer {
  nodeId: number;
  lastHeard: number;
}

/** A bounded table of known peers. */
export class PeerTable {
  #peers = new Map<Address, KnownPeer>();
  #list: Address[] | undefined;
  /** Peers forgotten to respect the bound. */
  evictions = 0;

  /** @param capacity Most peers remembered. */
  constructor(readonly capacity: number) {}

  /** Peers known. */
  get size(): number {
    return this.#peers.size;
  }

  /** True when `address` is known. */
  has(address: Address): boolean {
    return this.#peers.has(address);
  }

  /** Adds or refreshes a peer; returns true when it was not known before. */
  upsert(address: Address, nodeId: number, now: number): boolean {
    const known = this.#peers.get(address);
    if (known) {
      known.nodeId = nodeId;
      this.#touch(address, known, now);
      return false;
    }
    this.#peers.set(address, { nodeId, lastHeard: now });
    this.#list = undefined;
    while (this.#peers.size > this.capacity) {
      this.#peers.delete(this.#peers.keys().next().value as Address);
      this.evictions++;
    }
    return true;
  }

  /** Marks a known peer as just heard from. */
  heard(address: Address, now: number): void {
    const known = this.#peers.get(address);
    if (known) this.#touch(address, known, now);
  }

  /** Forgets a peer. */
  remove(address: Address): void {
    if (this.#peers.delete(address)) this.#list = undefined;
  }

  /** All known addresses. */
  addresses(): readonly Address[] {
    this.#list ??= [...this.#peers.keys()];
    return this.#list;
  }

  /** Up to `count` random peers other than `except`. */
  sample(rng: Prng, count: number, except?: Address): Address[] {
    const list = this.addresses();
    if (except === undefined || !this.#peers.has(except)) return sample(rng, list, count);
    return sample(rng, list, count, (address) => address === except);
  }

  /** Up to `count` random peers as wire entries (age 0). */
  sampleEntries(rng: Prng, count: number, except?: Address): PeerEntry[] {
    return this.sample(rng, count, except).map((address) => ({
      nodeId: this.#peers.get(address)!.nodeId,
      address,
      age: 0,
    }));
  }

  #touch(address: Address, known: KnownPeer, now: number): void {
    // Move to the back of the map so eviction takes the least recently heard.
    known.lastHeard = now;
    this.#peers.delete(address);
    this.#peers.set(address, known);
  }
}
