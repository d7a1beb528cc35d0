/**
 * Eclipse resistance for the active view: who may take a neighbour slot, and whose slot.
 *
 * Plain HyParView accepts every JOIN and every high-priority NEIGHBOR by dropping a random
 * neighbour, so a few addresses that answer PINGs can take a node's whole active view in seconds.
 * Three limits close that:
 *
 * - **Anchors.** Up to `ceil(capacity / 2)` neighbours linked for at least
 *   {@linkcode ANCHOR_AGE_PERIODS} probe intervals and not under suspicion (they keep answering
 *   probes) are never evicted for a newcomer: those that delivered the most new messages first,
 *   then the longest-standing. They leave only by failing or saying goodbye. Borrowed from
 *   Bitcoin Core, which keeps anchor connections and, when evicting inbound peers, protects the
 *   longest-connected ones and those that recently relayed novel blocks and transactions, and
 *   from GossipSub v1.1's score for first message deliveries: an attacker can buy neither age
 *   nor usefulness cheaply, and a Sybil that only answers PINGs earns nothing.
 * - **Eviction budget.** Evicting a neighbour for a newcomer spends a token; tokens refill at one
 *   per shuffle period (burst {@linkcode EVICTION_BURST}). Without a token, JOIN is answered but
 *   not linked and NEIGHBOR(high) is treated as low priority (accepted only into a free slot).
 *   Borrowed from GossipSub v1.1's PRUNE backoff and outbound quotas: mesh churn that newcomers can
 *   force is rate-limited.
 * - **Walks.** A JOIN that was linked starts its FORWARD_JOIN walks; one refused for lack of
 *   budget starts them only within a walk budget ({@linkcode WALK_BURST} at once, 4 per shuffle
 *   period). A walk that ends at a full node asks the joiner at low priority, so it never makes
 *   that node evict. A Sybil flood of JOINs therefore cannot spread through the walks into the
 *   neighbours' views.
 *
 * - **Group diversity.** The neighbour evicted for a newcomer is taken from the network group
 *   (address_group.ts) with the most unprotected neighbours, so Sybils from one prefix end up
 *   replacing each other rather than honest neighbours from other prefixes; likewise a node
 *   refilling its view asks candidates from groups it has fewest neighbours in first. Bitcoin Core
 *   protects netgroup diversity the same way when it evicts inbound peers and picks outbound ones.
 *
 * Honest churn is far below these rates: a steady cluster evicts a handful of links per minute.
 *
 * @module
 */

import { type Prng, randomInt } from "../core/prng.ts";
import type { Address } from "../wire/address.ts";
import type { ActiveView, Neighbor } from "./active_view.ts";
import { addressGroup } from "./address_group.ts";

/** Probe intervals a link must have lasted before it can be an anchor. */
export const ANCHOR_AGE_PERIODS = 5;
/** Evictions for newcomers allowed at once. */
export const EVICTION_BURST = 2;
/** FORWARD_JOIN walks started at once. */
export const WALK_BURST = 8;
/** Walk tokens added per shuffle period. */
const WALKS_PER_PERIOD = 4;

/** Counters of admission control. */
export interface AdmissionCounters {
  /** Newcomers not linked because no eviction token was left (or only anchors were left). */
  admissionsRefused: number;
  /** JOINs whose FORWARD_JOIN walk was not started (walk budget spent). */
  walksRefused: number;
}

/** Timing the budgets refill with. */
export interface AdmissionTiming {
  /** One eviction token per this period. */
  shuffleIntervalMs: number;
  /** Anchors must have lasted ANCHOR_AGE_PERIODS of these. */
  probeIntervalMs: number;
}

class TokenBucket {
  #tokens: number;
  #at = -Infinity;
  constructor(readonly burst: number, readonly perMs: number) {
    this.#tokens = burst;
  }
  take(now: number): boolean {
    if (this.#at !== -Infinity) {
      this.#tokens = Math.min(this.burst, this.#tokens + (now - this.#at) * this.perMs);
    }
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}

/** Budgets and anchor protection for the active view. */
export class Admission {
  readonly counters: AdmissionCounters = { admissionsRefused: 0, walksRefused: 0 };
  readonly #evictions: TokenBucket;
  readonly #walks: TokenBucket;
  readonly #anchorAgeMs: number;

  /** @param timing Shuffle period (refill) and probe interval (anchor age). */
  constructor(timing: AdmissionTiming) {
    this.#evictions = new TokenBucket(EVICTION_BURST, 1 / timing.shuffleIntervalMs);
    this.#walks = new TokenBucket(WALK_BURST, WALKS_PER_PERIOD / timing.shuffleIntervalMs);
    this.#anchorAgeMs = ANCHOR_AGE_PERIODS * timing.probeIntervalMs;
  }

  /**
   * The anchors of `active` at `now`: up to half the capacity (rounded up) of the oldest links
   * that are old enough and healthy (`healthy` says whether the detector is satisfied).
   */
  anchors(active: ActiveView, now: number, healthy: (address: Address) => boolean): Set<Address> {
    const eligible: Neighbor[] = [];
    for (const link of active.links()) {
      if (now - link.since >= this.#anchorAgeMs && healthy(link.address)) eligible.push(link);
    }
    eligible.sort((a, b) => b.useful - a.useful || a.since - b.since);
    const count = Math.ceil(active.capacity / 2);
    return new Set(eligible.slice(0, count).map((link) => link.address));
  }

  /**
   * Picks a neighbour to evict for `newcomer` in a full view and spends an eviction token;
   * undefined (counted) when every candidate is an anchor or the budget is spent.
   */
  evictionVictim(
    active: ActiveView,
    newcomer: Address,
    now: number,
    rng: Prng,
    healthy: (address: Address) => boolean,
  ): Address | undefined {
    const anchors = this.anchors(active, now, healthy);
    const pool = active.addresses().filter((a) => a !== newcomer && !anchors.has(a));
    if (pool.length === 0 || !this.#evictions.take(now)) {
      this.counters.admissionsRefused++;
      return undefined;
    }
    const byGroup = new Map<string, Address[]>();
    for (const address of pool) {
      const group = addressGroup(address);
      const members = byGroup.get(group);
      if (members) members.push(address);
      else byGroup.set(group, [address]);
    }
    // The most crowded group gives up a member; on a tie, the newcomer's own group does.
    const own = addressGroup(newcomer);
    let crowded: Address[] = [];
    for (const [group, members] of byGroup) {
      if (
        members.length > crowded.length ||
        (members.length === crowded.length && group === own)
      ) crowded = members;
    }
    return crowded[randomInt(rng, crowded.length)];
  }

  /** Spends an eviction token without evicting (a reserved free slot); false (counted) if none. */
  spend(now: number): boolean {
    if (this.#evictions.take(now)) return true;
    this.counters.admissionsRefused++;
    return false;
  }

  /** True (spending a token) when a JOIN may start its FORWARD_JOIN walks; counts refusals. */
  allowWalk(now: number): boolean {
    if (this.#walks.take(now)) return true;
    this.counters.walksRefused++;
    return false;
  }
}

/**
 * Orders refill candidates so that groups holding fewest neighbours come first (random order
 * within a tier, from the already shuffled `candidates`).
 */
export function diverseFirst(candidates: Address[], neighbors: readonly Address[]): Address[] {
  const held = new Map<string, number>();
  for (const address of neighbors) {
    const group = addressGroup(address);
    held.set(group, (held.get(group) ?? 0) + 1);
  }
  const tier = (address: Address) => held.get(addressGroup(address)) ?? 0;
  return candidates.map((address) => ({ address, tier: tier(address) }))
    .sort((a, b) => a.tier - b.tier)
    .map((entry) => entry.address);
}
