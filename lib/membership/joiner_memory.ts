/**
 * Which joiners a full contact keeps in its passive view.
 *
 * A contact that cannot link a joiner keeps it as a passive candidate and hands its passive view
 * to the next joiners (PEERS), who link the candidates that still have room. When it kept every
 * joiner, a join storm through one seed (a cluster starting, every node given the same seed) made
 * its passive view a window of the last few dozen joiners, so each joiner linked the ones just
 * before it: the overlay came out as a band ordered by join time, 1,000 nodes with radius 7-8 and
 * diameter 10-11 where a random graph of the same degrees has 6-7 and 8, and it stayed that way
 * (shuffles refresh passive views only).
 *
 * The contact now keeps a joiner with probability `capacity / recent joins`, the joins counted
 * with a half-life of one shuffle period: outside a storm every joiner is kept, as before; in a
 * storm, reservoir sampling makes the kept joiners a uniform sample of the storm so far (each
 * kept one is later replaced at random), and the joiners it hands out are spread over the whole
 * storm. A JOIN flood likewise gets fewer of its addresses into the contact's view.
 *
 * @module
 */

import type { Prng } from "../core/prng.ts";

/** Decides which unlinked joiners a contact keeps as passive candidates. */
export class JoinerMemory {
  #recent = 0;
  #at = -Infinity;

  /**
   * @param capacity The passive view's capacity (joiners kept per storm, in expectation).
   * @param halfLifeMs Joins counted fade by half over this time (a shuffle period).
   */
  constructor(readonly capacity: number, readonly halfLifeMs: number) {}

  /** Joins counted lately, faded by their age (for tests and stats). */
  recent(now: number): number {
    if (this.#at === -Infinity) return 0;
    return this.#recent * 2 ** (-(now - this.#at) / this.halfLifeMs);
  }

  /** Counts a joiner at `now`; true when it should be kept. */
  keep(now: number, rng: Prng): boolean {
    this.#recent = this.recent(now) + 1;
    this.#at = now;
    return this.#recent <= this.capacity || rng() * this.#recent < this.capacity;
  }
}
