/**
 * The node's discovery refresh: asks every configured {@linkcode Discovery} source for peers,
 * hands the addresses other than the node's own to the engine as seeds, then waits
 * `discoveryIntervalMs` and asks again, until stopped. Rounds never overlap: the next one is
 * scheduled only when the current one has finished. The engine contacts only seeds it did not
 * know, so repeating a round is cheap.
 *
 * @module
 */

import type { Discovery } from "./discovery/discovery.ts";
import { discoverAll } from "./discovery/discovery.ts";
import type { NodeCounters } from "./node_options.ts";
import type { Address } from "./wire/address.ts";

/** What a discovery loop reports to its node. */
export interface DiscoveryTarget {
  /** The node's own address (never fed back as a seed). */
  readonly address: Address;
  /** Rounds run and addresses found are counted here. */
  readonly counters: NodeCounters;
  /** Feeds the addresses found in one round to the engine. */
  addSeeds(addresses: Address[]): void;
}

/** Periodic discovery rounds for one node. */
export class DiscoveryLoop {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #round: Promise<void> = Promise.resolve();
  #stopped = false;

  /**
   * @param sources The discovery sources (none: the loop does nothing).
   * @param intervalMs Wait between the end of one round and the start of the next.
   * @param target The node the rounds feed.
   */
  constructor(
    readonly sources: readonly Discovery[],
    readonly intervalMs: number,
    readonly target: DiscoveryTarget,
  ) {}

  /** Runs the first round now (when there are sources); later rounds follow by themselves. */
  start(): void {
    if (this.sources.length > 0) this.#round = this.#discover();
  }

  /**
   * Stops the loop at once (no new round starts) and resolves when the round in flight, if any,
   * has ended.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimer();
    await this.#round;
    this.#clearTimer();
  }

  async #discover(): Promise<void> {
    if (this.#stopped) return;
    const found = await discoverAll(this.sources);
    if (this.#stopped) return;
    const target = this.target;
    target.counters.discoveryRounds++;
    const others = found.filter((address) => address !== target.address);
    target.counters.discovered += others.length;
    if (others.length > 0) target.addSeeds(others);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#round = this.#discover();
    }, this.intervalMs);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
