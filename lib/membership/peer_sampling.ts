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

/** A view entry with the origin keys of the Sybil guard (prefixed so the two never collide). */
interface ViewEntry extends PeerEntry {
  group: string;
  informant: string;
}

/** A copy of `entry` as it goes on the wire or to a caller: without the origin keys. */
function copyOf(entry: PeerEntry): PeerEntry {
  return { nodeId: entry.nodeId, address: entry.address, age: entry.age };
}

/**
 * A bounded partial view of peers with ages, as in gossip-based peer sampling.
 *
 * The entries live in one array in insertion order, searched linearly (a view holds tens of
 * entries): a `Map` per view lost its table to every exchange (entries come in, others go, and
 * a map full of removed slots is rebuilt, in V8's old space once the view is old), and a second
 * map of origins doubled that; in a 10,000-node simulation those dead tables were a fifth of the
 * heap's garbage.
 */
export class SamplingView {
  readonly #entries: ViewEntry[] = [];
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
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) if (entries[i]!.address === address) return i;
    return -1;
  }

  #find(address: Address): ViewEntry | undefined {
    const i = this.#indexOf(address);
    return i < 0 ? undefined : this.#entries[i];
  }

  /** Entries in the view. */
  get size(): number {
    return this.#entries.length;
  }

  /** True when `address` is in the view. */
  has(address: Address): boolean {
    return this.#indexOf(address) >= 0;
  }

  /** The entry for `address`, if any. */
  get(address: Address): PeerEntry | undefined {
    return this.#find(address);
  }

  /** The addresses in the view; the same array until the view changes. */
  addresses(): readonly Address[] {
    this.#list ??= this.#entries.map((entry) => entry.address);
    return this.#list;
  }

  /** The address of the `i`-th entry (0 ≤ i < size), in the order of `addresses()`. */
  addressAt(i: number): Address {
    return this.#entries[i]!.address;
  }

  /** Every entry (copies). */
  entries(): PeerEntry[] {
    return this.#entries.map(copyOf);
  }

  /**
   * Adds or refreshes one entry outside an exchange (a disconnected neighbour, a joiner, a seed).
   * A known address keeps the younger age and takes the entry's node id. When the view is full,
   * a random other entry makes room.
   */
  add(entry: PeerEntry, rng: Prng, informant: Address = entry.address): void {
    const known = this.#find(entry.address);
    if (known) {
      if (entry.age <= known.age || known.nodeId !== entry.nodeId) {
        known.age = entry.age;
        known.nodeId = entry.nodeId;
      }
      return;
    }
    this.#insert(entry, informant);
    if (this.#entries.length > this.params.capacity && this.#dropOverShare(1, rng) === 0) {
      const list = this.addresses().filter((address) => address !== entry.address);
      this.remove(list[randomInt(rng, list.length)]!);
      this.dropped++;
    }
  }

  #insert(entry: PeerEntry, informant: Address): void {
    this.#entries.push({
      nodeId: entry.nodeId,
      address: entry.address,
      age: entry.age,
      group: groupKey(entry.address),
      informant: informantKey(informant),
    });
    this.#list = undefined;
  }

  /**
   * Drops up to `excess` random entries of groups or informants over their share (largest
   * first); returns how many it dropped. Does nothing when all entries share one group.
   */
  #dropOverShare(excess: number, rng: Prng): number {
    const entries = this.#entries;
    if (originCounts.size > 4 * KEY_CACHE) originCounts = new Map();
    const counts = originCounts;
    // Counted once, then kept up to date as entries go (each pass used to count afresh).
    for (const { group, informant } of entries) {
      counts.set(group, (counts.get(group) ?? 0) + 1);
      counts.set(informant, (counts.get(informant) ?? 0) + 1);
    }
    let removed = 0;
    while (removed < excess) {
      // In view order, group before informant: the order keys were first met, so ties go to
      // the same key as they would over a fresh map's insertion order.
      let worst: string | undefined;
      let most = this.share;
      for (const { group, informant } of entries) {
        // One group holding everything is a single-host cluster, not an attack.
        const inGroup = counts.get(group)!;
        if (inGroup > most && inGroup < entries.length) {
          worst = group;
          most = inGroup;
        }
        const byInformant = counts.get(informant)!;
        if (byInformant > most && byInformant < entries.length) {
          worst = informant;
          most = byInformant;
        }
      }
      if (worst === undefined) break;
      // `most` entries carry `worst` (a group key never equals an informant key): drop one.
      let pick = randomInt(rng, most);
      for (const { address, group, informant } of entries) {
        if (group !== worst && informant !== worst) continue;
        if (pick-- === 0) {
          this.remove(address);
          counts.set(group, counts.get(group)! - 1);
          counts.set(informant, counts.get(informant)! - 1);
          break;
        }
      }
      removed++;
      this.droppedOverShare++;
    }
    // Back to zero for the next view (a dropped entry's keys are at zero or shared with others).
    for (const { group, informant } of entries) {
      counts.set(group, 0);
      counts.set(informant, 0);
    }
    return removed;
  }

  /** Removes `address`; true when it was there. */
  remove(address: Address): boolean {
    const i = this.#indexOf(address);
    if (i < 0) return false;
    // Close the gap in place, keeping the order (no new array).
    const entries = this.#entries;
    for (let k = i; k < entries.length - 1; k++) entries[k] = entries[k + 1]!;
    entries.pop();
    this.#list = undefined;
    return true;
  }

  /** One exchange round passed: every entry ages by one. */
  increaseAge(): void {
    for (const entry of this.#entries) entry.age = Math.min(MAX_AGE, entry.age + 1);
  }

  /** The oldest entry (the partner of the next exchange), or undefined when empty. */
  oldest(): PeerEntry | undefined {
    let oldest: PeerEntry | undefined;
    for (const entry of this.#entries) {
      if (!oldest || entry.age > oldest.age) oldest = entry;
    }
    return oldest;
  }

  /** A random entry, or undefined when empty. */
  random(rng: Prng): PeerEntry | undefined {
    const list = this.addresses();
    if (list.length === 0) return undefined;
    return this.#find(list[randomInt(rng, list.length)]!);
  }

  /**
   * The entries to send in an exchange: up to `count` from a random permutation of the view with
   * the `H` oldest moved to the end, skipping `except` (the partner itself).
   */
  selectBuffer(rng: Prng, count: number, except?: Address): PeerEntry[] {
    const pool = this.#entries.filter((entry) => entry.address !== except);
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
        if (pick < 0 || pool[i]!.age > pool[pick]!.age) pick = i;
      }
      oldest.push(pick);
    }
    const out: PeerEntry[] = [];
    for (let i = 0; i < pool.length && out.length < count; i++) {
      if (!oldest.includes(i)) out.push(copyOf(pool[i]!));
    }
    for (let h = 0; h < oldest.length && out.length < count; h++) {
      out.push(copyOf(pool[oldest[h]!]!));
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
    for (const entry of received) {
      const known = this.#find(entry.address);
      if (!known) {
        this.#insert(entry, informant ?? entry.address);
      } else if (entry.age < known.age || entry.nodeId !== known.nodeId && entry.age <= known.age) {
        known.age = entry.age;
        known.nodeId = entry.nodeId;
      }
    }
    let excess = this.#entries.length - this.params.capacity;
    if (excess <= 0) return;
    const healing = Math.min(this.params.healing, excess);
    if (healing > 0) {
      const oldest = [...this.#entries].sort((a, b) => b.age - a.age).slice(0, healing);
      for (const entry of oldest) this.remove(entry.address);
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
