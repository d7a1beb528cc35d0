/**
 * The HyParView active view: a small set of symmetric neighbour links. Broadcast trees run over
 * it, so its address list is kept as one array that only changes when the view does (the
 * broadcast layer compares it by identity on every message).
 *
 * @module
 */

import { type Prng, randomInt } from "../core/prng.ts";
import type { Address } from "../wire/address.ts";
import { noEntries, ownMap } from "../core/no_entries.ts";

/** One neighbour link. */
export interface Neighbor {
  /** The neighbour's address. */
  address: Address;
  /** The node id of the incarnation the link was made with. */
  nodeId: number;
  /** When the link was established. */
  since: number;
  /** New messages this neighbour delivered first (Sybils that only answer PINGs stay at 0). */
  useful: number;
}

/** A bounded set of neighbour links. */
export class ActiveView {
  // Made at the first link (see no_entries.ts): 10,000 simulated engines are built before they
  // start, and V8 sizes its old generation on what is live early on.
  #links: Map<Address, Neighbor> = noEntries();
  #list: readonly Address[] = [];

  /** @param capacity Most neighbours. */
  constructor(readonly capacity: number) {}

  /** Neighbours linked. */
  get size(): number {
    return this.#links.size;
  }

  /** True when no further neighbour fits. */
  get full(): boolean {
    return this.#links.size >= this.capacity;
  }

  /** True when `address` is a neighbour. */
  has(address: Address): boolean {
    return this.#links.has(address);
  }

  /** The link to `address`, if any. */
  get(address: Address): Neighbor | undefined {
    return this.#links.get(address);
  }

  /** The neighbours' addresses; the same array object until the view changes. */
  addresses(): readonly Address[] {
    return this.#list;
  }

  /** Every link. */
  links(): IterableIterator<Neighbor> {
    return this.#links.values();
  }

  /** Adds a link (the caller makes room first). */
  add(address: Address, nodeId: number, now: number): void {
    (this.#links = ownMap(this.#links)).set(address, { address, nodeId, since: now, useful: 0 });
    this.#list = [...this.#links.keys()];
  }

  /** `address` delivered a new message first; no-op when it is not a neighbour. */
  credit(address: Address): void {
    const link = this.#links.get(address);
    if (link) link.useful++;
  }

  /** Removes a link; returns it, or undefined when there was none. */
  remove(address: Address): Neighbor | undefined {
    const link = this.#links.get(address);
    if (!link) return undefined;
    this.#links.delete(address);
    this.#list = [...this.#links.keys()];
    return link;
  }

  /** A random neighbour other than `except`, or undefined. */
  random(rng: Prng, except?: Address): Address | undefined {
    const list = this.#list;
    const pool = except !== undefined && this.#links.has(except)
      ? list.filter((address) => address !== except)
      : list;
    return pool.length === 0 ? undefined : pool[randomInt(rng, pool.length)];
  }
}
