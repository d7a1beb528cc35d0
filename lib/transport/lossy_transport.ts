/**
 * A decorator that drops a seeded fraction of outgoing datagrams, to prove recovery over a real
 * network.
 *
 * @module
 */

import { type Prng, seededPrng } from "../core/prng.ts";
import { GossipError } from "../errors.ts";
import type { Address } from "../wire/address.ts";
import type { Packet, Transport } from "./transport.ts";
import type { TransportStats } from "./udp_transport.ts";
import { transportStats } from "./open_transport.ts";

/** Options of a {@linkcode LossyTransport}. */
export interface LossyTransportOptions {
  /** Fraction of outgoing datagrams dropped, from 0 to 1. */
  dropRate: number;
  /** Seed of the drop decisions. @default {1} */
  seed?: number;
  /** Random source; overrides `seed`. */
  rng?: Prng;
}

/**
 * Wraps a {@linkcode Transport} and silently drops `dropRate` of what it sends.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from "./memory_transport.ts";
 * import { LossyTransport } from "./lossy_transport.ts";
 * const network = new MemoryNetwork();
 * const lossy = new LossyTransport(network.open(), { dropRate: 1 });
 * await lossy.send("10.0.0.9:7946", new Uint8Array([1]));
 * if (lossy.stats().dropped !== 1) throw new Error("dropped");
 * await lossy.close();
 * ```
 */
export class LossyTransport implements Transport {
  #inner: Transport;
  #rate: number;
  #rng: Prng;
  #dropped = 0;

  /**
   * Wraps `inner`.
   *
   * @param inner The transport to wrap; closing this closes it.
   * @param options The drop rate and its seed.
   */
  constructor(inner: Transport, options: LossyTransportOptions) {
    if (!(options.dropRate >= 0 && options.dropRate <= 1)) {
      throw new GossipError(
        "invalid_option",
        `Invalid dropRate ${options.dropRate}: use a fraction from 0 to 1`,
      );
    }
    this.#inner = inner;
    this.#rate = options.dropRate;
    this.#rng = options.rng ?? seededPrng(options.seed ?? 1);
  }

  /** The wrapped transport's address. */
  get localAddress(): Address {
    return this.#inner.localAddress;
  }

  /** Sends through the wrapped transport, or drops the datagram with probability `dropRate`. */
  send(to: Address, bytes: Uint8Array): Promise<void> {
    if (this.#rng() < this.#rate) {
      this.#dropped++;
      return Promise.resolve();
    }
    return this.#inner.send(to, bytes);
  }

  /** Sends fire and forget, or drops the datagram with probability `dropRate`. */
  post(to: Address, bytes: Uint8Array): void {
    if (this.#rng() < this.#rate) {
      this.#dropped++;
      return;
    }
    if (this.#inner.post) this.#inner.post(to, bytes);
    else void this.#inner.send(to, bytes).catch(() => {});
  }

  /** The wrapped transport's datagrams. */
  [Symbol.asyncIterator](): AsyncIterator<Packet> {
    return this.#inner[Symbol.asyncIterator]();
  }

  /** The wrapped transport's datagrams in batches (one datagram each if it has no batches). */
  async *batches(): AsyncIterable<readonly Packet[]> {
    if (this.#inner.batches) yield* this.#inner.batches();
    else for await (const packet of this.#inner) yield [packet];
  }

  /** The wrapped transport's counters, with the injected drops added to `dropped`. */
  stats(): TransportStats {
    const inner = transportStats(this.#inner);
    return { ...inner, dropped: inner.dropped + this.#dropped };
  }

  /** Closes the wrapped transport. */
  close(): Promise<void> {
    return this.#inner.close();
  }
}
