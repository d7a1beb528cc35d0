/**
 * A bounded least-recently-used table keyed by address, built to stay quiet in V8's heap.
 *
 * The engine's per-peer tables (address validation's credits, owed echoes and validated
 * addresses) are touched, emptied and refilled all the time, and most hold a handful of entries.
 * A `Map` used that way reallocates its hash table every few operations: each delete of a key
 * that was just set leaves a hole, a table full of holes is rebuilt, and a table that falls under
 * a quarter full is shrunk, all by allocating a new table, in V8's old space once the map is old.
 * A 10,000-node simulation filled its old space with those dead tables. This table keeps up to
 * {@linkcode SMALL_ENTRIES} entries in two arrays (oldest first, searched linearly: a few pointer
 * comparisons), which never reallocate at that size, and moves to a `Map` only beyond it.
 *
 * The order is exactly a `Map`'s with delete-then-set on every touch: the same key is evicted.
 *
 * @module
 */

import type { Address } from "../wire/address.ts";

/**
 * Entries kept in arrays before the table moves to a `Map` (V8 gives an array grown by pushes
 * room for 17 elements, and popping never shrinks that).
 */
export const SMALL_ENTRIES = 16;

/** Least-recently-used table of at most `capacity` entries. */
export class LruTable<V> {
  // Small form: keys and values, oldest first.
  readonly #keys: Address[] = [];
  readonly #values: V[] = [];
  // Large form, once more than SMALL_ENTRIES were held; it stays large (a table that grew once
  // belongs to a busy node and would grow again).
  #map: Map<Address, V> | undefined;

  /** @param capacity Entries kept; touching a new key beyond it evicts the least recent. */
  constructor(readonly capacity: number) {}

  /** Entries held. */
  get size(): number {
    return this.#map ? this.#map.size : this.#keys.length;
  }

  /** The value of `key`, without making it recent. */
  get(key: Address): V | undefined {
    if (this.#map) return this.#map.get(key);
    const i = this.#keys.indexOf(key);
    return i < 0 ? undefined : this.#values[i];
  }

  /** True when `key` is held. */
  has(key: Address): boolean {
    return this.#map ? this.#map.has(key) : this.#keys.indexOf(key) >= 0;
  }

  /** Sets `key` to `value` and makes it the most recent; evicts the least recent over capacity. */
  touch(key: Address, value: V): void {
    const map = this.#map;
    if (map) {
      map.delete(key);
      map.set(key, value);
      if (map.size > this.capacity) map.delete(map.keys().next().value as Address);
      return;
    }
    const keys = this.#keys, values = this.#values;
    const i = keys.indexOf(key);
    if (i >= 0) this.#removeAt(i);
    keys.push(key);
    values.push(value);
    if (keys.length > this.capacity) this.#removeAt(0);
    else if (keys.length > SMALL_ENTRIES) this.#grow();
  }

  /** Removes `key`; true when it was held. */
  delete(key: Address): boolean {
    if (this.#map) return this.#map.delete(key);
    const i = this.#keys.indexOf(key);
    if (i < 0) return false;
    this.#removeAt(i);
    return true;
  }

  /** Closes the gap at `i` in place and drops the last slot (no allocation). */
  #removeAt(i: number): void {
    const keys = this.#keys, values = this.#values;
    const last = keys.length - 1;
    for (let k = i; k < last; k++) {
      keys[k] = keys[k + 1]!;
      values[k] = values[k + 1]!;
    }
    keys.pop();
    values.pop();
  }

  #grow(): void {
    const map = new Map<Address, V>();
    const keys = this.#keys, values = this.#values;
    for (let k = 0; k < keys.length; k++) map.set(keys[k]!, values[k]!);
    keys.length = 0;
    values.length = 0;
    this.#map = map;
  }
}
