/**
 * Eclipse resistance for the active view: who may take a neighbour slot, and whose slot.
 *
 * Plain HyParView accepts every JOIN and every high-priority NEIGHBOR by dropping a random
 * neighbour, so a few addresses that answer PINGs can take a node's whole active view in seconds.
 * Three limits close that:
 *
 * - **Anchors.** The `ceil(capacity / 2)` longest-standing neighbours that have been linked for at
 *   least {@linkcode ANCHOR_AGE_PERIODS} probe intervals and are not under suspicion (they keep
 *   answering probes) are never evicted for a newcomer. They leave only by failing or saying
 *   goodbye. Borrowed from Bitcoin Core, which keeps anchor connections and, when evicting
 *   inbound peers, protects the longest-connected ones: an attacker cannot buy age.
 * - **Eviction budget.** Evicting a neighbour for a newcomer spends a token; tokens refill at one
 *   per shuffle period (burst {@linkcode EVICTION_BURST}). Without a token, JOIN is answered but
 *   not linked and NEIGHBOR(high) is treated as low priority (accepted only into a free slot).
 *   Borrowed from GossipSub v1.1's PRUNE backoff and outbound quotas: mesh churn that newcomers can
 *   force is rate-limited.
 * - **Walk budget.** A JOIN starts FORWARD_JOIN walks (which make other nodes link the joiner) at
 *   most {@linkcode WALK_BURST} times per shuffle period, so a Sybil flood of JOINs cannot spread
 *   through the walks into the neighbours' views.
 *
 * Honest churn is far below these rates: a steady cluster evicts a handful of links per minute.
 *
 * @module
 */

import { type Prng, randomInt } from "../engine/prng.ts";
import type { Address } from "../wire/address.ts";
import type { ActiveView, Neighbor } from "./active_view.ts";

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
    eligible.sort((a, b) => a.since - b.since);
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
    return pool[randomInt(rng, pool.length)];
  }

  /** True (spending a token) when a JOIN may start its FORWARD_JOIN walks; counts refusals. */
  allowWalk(now: number): boolean {
    if (this.#walks.take(now)) return true;
    this.counters.walksRefused++;
    return false;
  }
}
