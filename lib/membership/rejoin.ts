/**
 * Rejoin with backoff: the addresses a node keeps trying to reach although they are not in its
 * views, so that two halves of a healed partition find each other again by themselves.
 *
 * Two kinds of entry:
 * - **seeds** (from options or discovery), kept for the life of the node; and
 * - **lost neighbours**, active peers declared dead, kept in a bounded list (oldest forgotten
 *   first). After a partition, both sides hold the other side's former neighbours here.
 *
 * Each entry is retried after `base × 2^attempts` (capped at `max`, with ±25% jitter so a
 * cluster does not retry in lockstep). A retry that gets an answer removes a lost neighbour (it is
 * a neighbour again) and resets a seed's backoff only when the node had lost all its peers.
 *
 * Pure: randomness and time are passed in.
 *
 * @module
 */

import type { Prng } from "../core/prng.ts";
import type { Address } from "../wire/address.ts";
import { noEntries, ownMap } from "../core/no_entries.ts";

/** One address being retried. */
export interface RetryEntry {
  /** The address. */
  address: Address;
  /** Node id last seen at that address (0 for a seed never reached). */
  nodeId: number;
  /** True for seeds, which are never forgotten. */
  seed: boolean;
  /** Retries made since the last answer. */
  attempts: number;
  /** When the next retry is due. */
  nextAt: number;
}

/** Backoff settings. */
export interface BackoffParams {
  /** First retry delay. */
  baseMs: number;
  /** Longest delay between retries. */
  maxMs: number;
  /** Lost neighbours remembered at most. */
  capacity: number;
  /** Seeds remembered at most. */
  seedCapacity: number;
}

const NONE_DUE: readonly RetryEntry[] = Object.freeze([]);

/** Addresses to retry, with exponential backoff. */
export class RetryList {
  // Made at the first entry (see no_entries.ts).
  #entries: Map<Address, RetryEntry> = noEntries();
  #lost = 0;
  #seeds = 0;
  /** Lost neighbours forgotten because the list was full. */
  forgotten = 0;

  /**
   * @param params Backoff and bounds.
   * @param rng Jitter source.
   */
  constructor(readonly params: BackoffParams, readonly rng: Prng) {}

  /** Entries (seeds and lost neighbours). */
  get size(): number {
    return this.#entries.size;
  }

  /** Lost neighbours being retried. */
  get lostCount(): number {
    return this.#lost;
  }

  /** The entry for `address`, if any. */
  get(address: Address): RetryEntry | undefined {
    return this.#entries.get(address);
  }

  /** Seeds, in the order added. */
  seeds(): RetryEntry[] {
    return [...this.#entries.values()].filter((entry) => entry.seed);
  }

  /** Adds a seed, first retried at `firstAt`; returns false when already known. */
  addSeed(address: Address, firstAt: number): boolean {
    const known = this.#entries.get(address);
    if (known) {
      if (known.seed) return false;
      known.seed = true;
      this.#lost--;
      this.#seeds++;
      return true;
    }
    if (this.#seeds >= this.params.seedCapacity) {
      const oldest = this.seeds()[0]!;
      this.#entries.delete(oldest.address);
      this.#seeds--;
    }
    this.#entries = ownMap(this.#entries);
    this.#entries.set(address, { address, nodeId: 0, seed: true, attempts: 0, nextAt: firstAt });
    this.#seeds++;
    return true;
  }

  /** Remembers a neighbour declared dead; the first retry comes after the base delay. */
  addLost(address: Address, nodeId: number, now: number): void {
    const known = this.#entries.get(address);
    if (known) {
      known.nodeId = nodeId;
      known.attempts = 0;
      known.nextAt = now + this.#delay(0);
      return;
    }
    if (this.#lost >= this.params.capacity) {
      for (const entry of this.#entries.values()) {
        if (entry.seed) continue;
        this.#entries.delete(entry.address);
        this.#lost--;
        this.forgotten++;
        break;
      }
    }
    this.#entries = ownMap(this.#entries);
    this.#entries.set(address, {
      address,
      nodeId,
      seed: false,
      attempts: 0,
      nextAt: now + this.#delay(0),
    });
    this.#lost++;
  }

  /**
   * `address` answered. A lost neighbour is dropped from the list; a seed is next contacted only
   * after the longest delay (the slow refresh that bridges forgotten partitions).
   */
  answered(address: Address, nodeId: number, now: number): void {
    const entry = this.#entries.get(address);
    if (!entry) return;
    if (entry.seed) {
      entry.nodeId = nodeId;
      entry.attempts = 30;
      entry.nextAt = now + this.#delay(30);
      return;
    }
    this.#entries.delete(address);
    this.#lost--;
  }

  /** Makes every seed due now (the node lost all its peers and must rejoin quickly). */
  hurrySeeds(now: number): void {
    for (const entry of this.#entries.values()) {
      if (entry.seed && entry.nextAt > now + this.params.baseMs) {
        entry.attempts = 0;
        entry.nextAt = now;
      }
    }
  }

  /** Entries due at `now`; each is rescheduled with a doubled delay. */
  due(now: number): readonly RetryEntry[] {
    // Asked at every tick and mostly empty: no new array unless something is due.
    let due: RetryEntry[] | undefined;
    for (const entry of this.#entries.values()) {
      if (entry.nextAt > now) continue;
      entry.attempts++;
      entry.nextAt = now + this.#delay(entry.attempts);
      (due ??= []).push(entry);
    }
    return due ?? NONE_DUE;
  }

  /** The earliest retry time, or Infinity. */
  nextAt(): number {
    let next = Infinity;
    for (const entry of this.#entries.values()) next = Math.min(next, entry.nextAt);
    return next;
  }

  #delay(attempts: number): number {
    const plain = Math.min(this.params.maxMs, this.params.baseMs * 2 ** Math.min(attempts, 30));
    return Math.max(1, Math.round(plain * (0.75 + 0.5 * this.rng())));
  }
}
