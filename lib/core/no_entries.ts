/**
 * Tables made at their first write: a table field starts as a shared empty stand-in, which
 * answers every read (`get`, `has`, `size`, iteration, `delete`) as an empty table does, and is
 * swapped for a table of its own by {@linkcode ownMap} / {@linkcode ownSet} before the first
 * write.
 *
 * Why: an engine holds about thirty tables, and most stay empty for its whole life in a given
 * deployment (chunk reassembly, probe relays, rejoin lists, ...). An empty `Map` still costs
 * about 200 bytes in V8, so 10,000 simulated engines paid tens of megabytes for nothing, and a
 * larger live heap also raises the point where V8 next collects its old space.
 *
 * The stand-ins refuse writes: a write site that forgot to take its own table throws at once
 * instead of sharing entries between engines.
 *
 * @module
 */

class NoEntriesMap extends Map<never, never> {
  override set(): this {
    throw new TypeError("a shared empty map was written: take one with ownMap() first");
  }
}

class NoEntriesSet extends Set<never> {
  override add(): this {
    throw new TypeError("a shared empty set was written: take one with ownSet() first");
  }
}

const EMPTY_MAP: Map<never, never> = new NoEntriesMap();
const EMPTY_SET: Set<never> = new NoEntriesSet();

/** The shared empty stand-in for a `Map` field made at its first write. */
export function noEntries<K, V>(): Map<K, V> {
  return EMPTY_MAP as Map<K, V>;
}

/** The shared empty stand-in for a `Set` field made at its first write. */
export function noMembers<T>(): Set<T> {
  return EMPTY_SET as Set<T>;
}

/** `map` itself, or a new `Map` in place of the shared stand-in: assign it back, then write. */
export function ownMap<K, V>(map: Map<K, V>): Map<K, V> {
  return map === EMPTY_MAP ? new Map() : map;
}

/** `set` itself, or a new `Set` in place of the shared stand-in: assign it back, then write. */
export function ownSet<T>(set: Set<T>): Set<T> {
  return set === EMPTY_SET ? new Set() : set;
}
