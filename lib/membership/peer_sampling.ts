/**
 * Gossip-based peer sampling (Jelasity, Voulgaris, Guerraoui, Kermarrec, van Steen; TOCS 2007):
 * a partial view of at most `c` peers, each with an age in exchange rounds, refreshed by
 * periodic exchanges of half views with one partner.
 *
 * The view is the passive view of HyParView: the pool of candidates a node promotes to its active
 * view when a neighbour fails, and the source of random peers for anti-entropy.
 *
 * The exchange follows the paper's generic protocol:
 * - the initiator picks the oldest entry as partner ("tail" selection: old entries are the least
 *   likely to be alive, so contacting them either refreshes or exposes them);
 * - the buffer sent is the sender itself (age 0) followed by up to `c/2 − 1` entries, taken from a
 *   random permutation of the view with the `H` oldest moved to the end, so they are sent last;
 * - the receiver (push or push-pull) merges the buffer; in pull or push-pull the partner answers
 *   with a buffer of its own, which the initiator merges;
 * - merging appends unknown entries, keeps the younger copy of a known one, then shrinks the view
 *   back to `c`: first the `H` oldest (healing: dead peers stop being advertised, so they age out),
 *   then up to `S` of the entries just sent (swap: what the partner now holds need not be kept),
 *   then random entries.
 *
 * One change guards against Sybils: every entry remembers its network group (/24 or /48, see
 * address_group.ts) and its informant (the peer whose list brought it). When the view overflows,
 * right after healing, entries are dropped from whichever group or informant holds more than
 * {@linkcode SamplingView.share} of the view (a quarter), as Bitcoin Core's address manager
 * buckets new addresses by source group: a block of addresses, or one talkative peer, can fill
 * the room others left but never push them out. In a view where every entry shares one group (a
 * cluster on one host) this step does nothing.
 *
 * The class is pure: randomness comes from the injected {@linkcode Prng}.
 *
 * @module
 */

import { type Prng, randomInt } from "../core/prng.ts";
import type { Address } from "../wire/address.ts";
import type { PeerEntry } from "../wire/frame.ts";
import { addressGroup } from "./address_group.ts";

/** Parameters of a {@linkcode SamplingView}. */
export interface SamplingParams {
  /** View size c. */
  capacity: number;
  /** Healing H: oldest entries dropped first when the view overflows after a merge. */
  healing: number;
  /** Swap S: entries just sent to the partner dropped next. */
  swap: number;
}

/** Entries a merge may add past the capacity before the view shrinks back (a SHUFFLE's buffer). */
const SLACK = 20;
/** Age saturates here (the wire carries one byte). */
const MAX_AGE = 255;

/**
 * Origin keys ("g" + group, "i" + informant) by address, shared by every view in the process:
 * each entry used to build two new strings and run the group's regexes, and a 10,000-node
 * simulation held 600,000 such strings. Pure memoisation, bounded: a full cache is cleared.
 */
const KEY_CACHE = 65536;
const groupKeys = new Map<Address, string>();
const informantKeys = new Map<Address, string>();

function groupKey(address: Address): string {
  let key = groupKeys.get(address);
  if (key === undefined) {
    key = "g" + addressGroup(address);
    if (groupKeys.size >= KEY_CACHE) groupKeys.clear();
    groupKeys.set(address, key);
  }
  return key;
}

function informantKey(address: Address): string {
  let key = informantKeys.get(address);
  if (key === undefined) {
    key = "i" + address;
    if (informantKeys.size >= KEY_CACHE) informantKeys.clear();
    informantKeys.set(address, key);
  }
  return key;
}

/**
 * Entries per origin key while a view looks for one over its share, shared by every view (the
 * engine runs one call at a time). Counts go back to 0 after each use instead of the map being
 * cleared or made anew: a fresh map per overflowing exchange, grown key by key, was a measurable
 * share of a large simulation's garbage. It holds at most the keys the caches above hand out,
 * and is replaced past four times a cache's bound.
 */
let originCounts = new Map<string, number>();

/**
 * A bounded partial view of peers with ages, as in gossip-based peer sampling.
 *
 * The entries live in parallel arrays in insertion order (node ids, addresses, ages and the two
 * origin keys of the Sybil guard), searched linearly: a view holds tens of entries. A `Map` per
 * view lost its table to every exchange (entries come in, others go, and a map full of removed
 * slots is rebuilt, in V8's old space once the view is old), and a second map of origins doubled
 * that. One object per entry (with its 40-bit node id boxed as a heap number) cost about 100
 * bytes each, 3 KB per node, and each exchange left the replaced ones as old-generation garbage;
 * the arrays hold the same in about 2 KB, and an exchange only overwrites their elements. The
 * arrays are made at the first entry with room for a full view and a SHUFFLE's buffer beyond it
 * ({@linkcode SLACK}) and never shrink: arrays grown by pushes and trimmed by pops got new
 * backing stores over and over (more old-generation garbage, and room for 77 entries).
 */
export class SamplingView {
  /** Entries held: the first `#size` elements of each array below. */
  #size = 0;
  #ids: number[] = [];
  #addresses: Address[] = [];
  #ages: number[] = [];
  /** Origin keys ("g" + group, "i" + informant), prefixed so the two never collide. */
  #groups: string[] = [];
  #informants: string[] = [];
  #list: readonly Address[] | undefined;
  /** Entries dropped because the view was full (healing, swap or random). */
  dropped = 0;
  /** Entries dropped because their group or informant held more than its share. */
  droppedOverShare = 0;

  /** @param params View size, healing and swap. */
  constructor(readonly params: SamplingParams) {}

  /** Entries one network group or one informant may keep when the view overflows. */
  get share(): number {
    return Math.max(2, Math.ceil(this.params.capacity / 4));
  }

  #indexOf(address: Address): number {
    const addresses = this.#addresses;
    for (let i = 0; i < this.#size; i++) if (addresses[i] === address) return i;
    return -1;
  }

  /** A copy of the `i`-th entry, as it goes on the wire or to a caller. */
  #entryAt(i: number): PeerEntry {
    return { nodeId: this.#ids[i]!, address: this.#addresses[i]!, age: this.#ages[i]! };
  }

  /** Entries in the view. */
  get size(): number {
    return this.#size;
  }

  /** True when `address` is in the view. */
  has(address: Address): boolean {
    return this.#indexOf(address) >= 0;
  }

  /** The entry for `address`, if any. */
  get(address: Address): PeerEntry | undefined {
    const i = this.#indexOf(address);
    return i < 0 ? undefined : this.#entryAt(i);
  }

  /** The addresses in the view; the same array until the view changes. */
  addresses(): readonly Address[] {
    this.#list ??= this.#addresses.slice(0, this.#size);
    return this.#list;
  }

  /** The address of the `i`-th entry (0 ≤ i < size), in the order of `addresses()`. */
  addressAt(i: number): Address {
    return this.#addresses[i]!;
  }

  /** Every entry (copies). */
  entries(): PeerEntry[] {
    const out: PeerEntry[] = [];
    for (let i = 0; i < this.#size; i++) out.push(this.#entryAt(i));
    return out;
  }

  /**
   * Adds or refreshes one entry outside an exchange (a disconnected neighbour, a joiner, a seed).
   * A known address keeps the younger age and takes the entry's node id. When the view is full,
   * a random other entry makes room.
   */
  add(entry: PeerEntry, rng: Prng, informant: Address = entry.address): void {
    const known = this.#indexOf(entry.address);
    if (known >= 0) {
      if (entry.age <= this.#ages[known]! || this.#ids[known] !== entry.nodeId) {
        this.#ages[known] = entry.age;
        this.#ids[known] = entry.nodeId;
      }
      return;
    }
    this.#insert(entry, informant);
    if (this.#size > this.params.capacity && this.#dropOverShare(1, rng) === 0) {
      const list = this.addresses().filter((address) => address !== entry.address);
      this.remove(list[randomInt(rng, list.length)]!);
      this.dropped++;
    }
  }

  #insert(entry: PeerEntry, informant: Address): void {
    const i = this.#size;
    if (i === this.#addresses.length) this.#grow();
    this.#ids[i] = entry.nodeId;
    this.#addresses[i] = entry.address;
    this.#ages[i] = entry.age;
    this.#groups[i] = groupKey(entry.address);
    this.#informants[i] = informantKey(informant);
    this.#size = i + 1;
    this.#list = undefined;
  }

  /** Room for a full view and a buffer at first, twice as much when a merge brings more. */
  #grow(): void {
    const length = Math.max(this.params.capacity + SLACK, 2 * this.#size);
    const copy = <T>(old: T[], fill: T): T[] => {
      const next = new Array<T>(length).fill(fill);
      for (let i = 0; i < this.#size; i++) next[i] = old[i]!;
      return next;
    };
    this.#ids = copy(this.#ids, 0);
    this.#addresses = copy(this.#addresses, "");
    this.#ages = copy(this.#ages, 0);
    this.#groups = copy(this.#groups, "");
    this.#informants = copy(this.#informants, "");
  }

  /**
   * Drops up to `excess` random entries of groups or informants over their share (largest
   * first); returns how many it dropped. Does nothing when all entries share one group.
   */
  #dropOverShare(excess: number, rng: Prng): number {
    const groups = this.#groups, informants = this.#informants;
    if (originCounts.size > 4 * KEY_CACHE) originCounts = new Map();
    const counts = originCounts;
    // Counted once, then kept up to date as entries go (each pass used to count afresh).
    for (let i = 0; i < this.#size; i++) {
      const group = groups[i]!, informant = informants[i]!;
      counts.set(group, (counts.get(group) ?? 0) + 1);
      counts.set(informant, (counts.get(informant) ?? 0) + 1);
    }
    let removed = 0;
    while (removed < excess) {
      // In view order, group before informant: the order keys were first met, so ties go to
      // the same key as they would over a fresh map's insertion order.
      let worst: string | undefined;
      let most = this.share;
      const size = this.#size;
      for (let i = 0; i < size; i++) {
        const group = groups[i]!, informant = informants[i]!;
        // One group holding everything is a single-host cluster, not an attack.
        const inGroup = counts.get(group)!;
        if (inGroup > most && inGroup < size) {
          worst = group;
          most = inGroup;
        }
        const byInformant = counts.get(informant)!;
        if (byInformant > most && byInformant < size) {
          worst = informant;
          most = byInformant;
        }
      }
      if (worst === undefined) break;
      // `most` entries carry `worst` (a group key never equals an informant key): drop one.
      let pick = randomInt(rng, most);
      for (let i = 0; i < this.#size; i++) {
        const group = groups[i]!, informant = informants[i]!;
        if (group !== worst && informant !== worst) continue;
        if (pick-- === 0) {
          this.#removeAt(i);
          counts.set(group, counts.get(group)! - 1);
          counts.set(informant, counts.get(informant)! - 1);
          break;
        }
      }
      removed++;
      this.droppedOverShare++;
    }
    // Back to zero for the next view (a dropped entry's keys are at zero or shared with others).
    for (let i = 0; i < this.#size; i++) {
      counts.set(groups[i]!, 0);
      counts.set(informants[i]!, 0);
    }
    return removed;
  }

  /** Removes `address`; true when it was there. */
  remove(address: Address): boolean {
    const i = this.#indexOf(address);
    if (i < 0) return false;
    this.#removeAt(i);
    return true;
  }

  /** Removes the `i`-th entry, closing the gap in place and keeping the order (no new arrays). */
  #removeAt(i: number): void {
    const last = --this.#size;
    const ids = this.#ids, ages = this.#ages;
    for (let k = i; k < last; k++) {
      ids[k] = ids[k + 1]!;
      ages[k] = ages[k + 1]!;
    }
    for (const column of [this.#addresses, this.#groups, this.#informants]) {
      for (let k = i; k < last; k++) column[k] = column[k + 1]!;
      column[last] = "";
    }
    this.#list = undefined;
  }

  /** One exchange round passed: every entry ages by one. */
  increaseAge(): void {
    const ages = this.#ages;
    for (let i = 0; i < this.#size; i++) ages[i] = Math.min(MAX_AGE, ages[i]! + 1);
  }

  /** The oldest entry (the partner of the next exchange), or undefined when empty. */
  oldest(): PeerEntry | undefined {
    const ages = this.#ages;
    let oldest = -1;
    for (let i = 0; i < this.#size; i++) {
      if (oldest < 0 || ages[i]! > ages[oldest]!) oldest = i;
    }
    return oldest < 0 ? undefined : this.#entryAt(oldest);
  }

  /** A random entry, or undefined when empty. */
  random(rng: Prng): PeerEntry | undefined {
    const size = this.#size;
    if (size === 0) return undefined;
    return this.#entryAt(randomInt(rng, size));
  }

  /**
   * The entries to send in an exchange: up to `count` from a random permutation of the view with
   * the `H` oldest moved to the end, skipping `except` (the partner itself).
   */
  selectBuffer(rng: Prng, count: number, except?: Address): PeerEntry[] {
    // Indices of the entries, `except` left out.
    const pool: number[] = [];
    for (let i = 0; i < this.#size; i++) {
      if (this.#addresses[i] !== except) pool.push(i);
    }
    for (let i = pool.length - 1; i > 0; i--) {
      const j = randomInt(rng, i + 1);
      const tmp = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = tmp;
    }
    // The H oldest, as a stable sort by age (descending) would list them: each pick is the first
    // of the largest age left. H is a few entries, so picking beats sorting a copy.
    const healing = Math.min(this.params.healing, pool.length);
    const oldest: number[] = [];
    for (let h = 0; h < healing; h++) {
      let pick = -1;
      for (let i = 0; i < pool.length; i++) {
        if (oldest.includes(i)) continue;
        if (pick < 0 || this.#ages[pool[i]!]! > this.#ages[pool[pick]!]!) pick = i;
      }
      oldest.push(pick);
    }
    const out: PeerEntry[] = [];
    for (let i = 0; i < pool.length && out.length < count; i++) {
      if (!oldest.includes(i)) out.push(this.#entryAt(pool[i]!));
    }
    for (let h = 0; h < oldest.length && out.length < count; h++) {
      out.push(this.#entryAt(pool[oldest[h]!]!));
    }
    return out;
  }

  /**
   * Merges a received buffer, then shrinks the view back to its capacity: `H` oldest first, then
   * up to `S` of the entries in `sent`, then random ones.
   *
   * @param received Entries from the partner (already stripped of this node and its neighbours).
   * @param sent Addresses this node sent to the partner in the same exchange.
   * @param rng Random source for the final random removals.
   * @param informant The peer the buffer came from (entries without one count as their own).
   */
  merge(
    received: readonly PeerEntry[],
    sent: readonly Address[],
    rng: Prng,
    informant?: Address,
  ): void {
    const ids = this.#ids, ages = this.#ages;
    for (const entry of received) {
      const known = this.#indexOf(entry.address);
      if (known < 0) {
        this.#insert(entry, informant ?? entry.address);
      } else if (
        entry.age < ages[known]! || entry.nodeId !== ids[known] && entry.age <= ages[known]!
      ) {
        ages[known] = entry.age;
        ids[known] = entry.nodeId;
      }
    }
    let excess = this.#size - this.params.capacity;
    if (excess <= 0) return;
    const healing = Math.min(this.params.healing, excess);
    if (healing > 0) {
      // The H oldest, as a stable sort by age (descending) lists them.
      const order: number[] = [];
      for (let i = 0; i < this.#size; i++) order.push(i);
      order.sort((a, b) => ages[b]! - ages[a]!);
      const oldest = order.slice(0, healing).map((i) => this.#addresses[i]!);
      for (const address of oldest) this.remove(address);
      excess -= healing;
      this.dropped += healing;
    }
    excess -= this.#dropOverShare(excess, rng);
    let swap = Math.min(this.params.swap, excess);
    for (const address of sent) {
      if (swap <= 0) break;
      if (this.remove(address)) {
        swap--;
        excess--;
        this.dropped++;
      }
    }
    while (excess > 0) {
      const list = this.addresses();
      this.remove(list[randomInt(rng, list.length)]!);
      excess--;
      this.dropped++;
    }
  }
}
