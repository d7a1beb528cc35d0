/**
 * Per-node and per-link faults for the simulator: one-way partitions, loss on chosen links, mute
 * nodes. Install with `sim.linkFilter = faults.filter`. Loss draws come from the faults' own
 * seeded source, so adding faults does not shift the network's random draws.
 *
 * @example A mute node and a lossy link
 * ```ts
 * import { LinkFaults } from "./faults.ts";
 * const faults = new LinkFaults(1);
 * faults.mute(3);
 * faults.lose(0, 1, 1);
 * if (faults.filter(3, 0) || faults.filter(0, 1) || !faults.filter(1, 0)) throw new Error();
 * ```
 *
 * @module
 */

import { type Prng, seededPrng } from "../core/prng.ts";

/** Faults on chosen nodes and links (by node index). */
export class LinkFaults {
  #muted = new Set<number>();
  #blocked = new Set<string>();
  #cuts: { from: ReadonlySet<number>; to: ReadonlySet<number> }[] = [];
  #loss = new Map<string, number>();
  #nodeLoss = new Map<number, number>();
  readonly #rng: Prng;
  /** Datagrams dropped by these faults. */
  dropped = 0;

  /** @param seed Seed of the loss draws. */
  constructor(seed: number) {
    this.#rng = seededPrng(seed ^ 0xfa017);
  }

  /** Node `i` keeps receiving but everything it sends is lost. */
  mute(i: number): void {
    this.#muted.add(i);
  }

  /** Datagrams from any node of `from` to any node of `to` are lost (the other way works). */
  cutOneWay(from: Iterable<number>, to: Iterable<number>): void {
    this.#cuts.push({ from: new Set(from), to: new Set(to) });
  }

  /** Datagrams from `from` to `to` are lost with probability `p` (0..1). */
  lose(from: number, to: number, p: number): void {
    if (p >= 1) this.#blocked.add(`${from}>${to}`);
    else this.#loss.set(`${from}>${to}`, p);
  }

  /** Every datagram to or from node `i` is lost with probability `p` (0..1). */
  loseAt(i: number, p: number): void {
    this.#nodeLoss.set(i, p);
  }

  /** Removes every fault. */
  clear(): void {
    this.#muted.clear();
    this.#blocked.clear();
    this.#cuts = [];
    this.#loss.clear();
    this.#nodeLoss.clear();
  }

  /** The simulator's link filter: false drops the datagram. */
  readonly filter = (from: number, to: number): boolean => {
    if (this.#muted.has(from) || this.#blocked.has(`${from}>${to}`)) return this.#drop();
    for (const cut of this.#cuts) if (cut.from.has(from) && cut.to.has(to)) return this.#drop();
    if (this.#loss.size > 0) {
      const p = this.#loss.get(`${from}>${to}`);
      if (p !== undefined && this.#rng() < p) return this.#drop();
    }
    if (this.#nodeLoss.size > 0) {
      const p = Math.max(this.#nodeLoss.get(from) ?? 0, this.#nodeLoss.get(to) ?? 0);
      if (p > 0 && this.#rng() < p) return this.#drop();
    }
    return true;
  };

  #drop(): false {
    this.dropped++;
    return false;
  }
}
