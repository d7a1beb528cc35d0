/**
 * {@linkcode SecureTransport}: a {@linkcode Transport} decorator that seals what the node sends and
 * opens what it receives (AES-GCM keyring, cluster label, replay window), after a per-source rate
 * limit. Everything it refuses is dropped and counted by reason in `stats().security.dropped`.
 *
 * @module
 */

import { GossipError } from "../errors.ts";
import { transportStats } from "../transport/open_transport.ts";
import type { Packet, Transport } from "../transport/transport.ts";
import type { TransportStats } from "../transport/udp_transport.ts";
import type { Address } from "../wire/address.ts";
import type { Keyring } from "./keyring.ts";
import { RATE_LIMIT_DEFAULTS } from "../defaults.ts";
import { RateLimiter } from "./rate_limiter.ts";
import { Sealer, type SealerOptions } from "./sealer.ts";

/** Options of {@linkcode SecureTransport.wrap}. */
export interface SecureTransportOptions extends SealerOptions {
  /** Datagrams per second accepted from one source address. @default {2000} */
  ratePerSecond?: number;
  /** Datagrams one source may send in a burst above the rate. @default {2000} */
  burst?: number;
  /** Source addresses tracked by the rate limiter. @default {4096} */
  maxSources?: number;
  /** Millisecond clock of the rate limiter. @default {performance.now} */
  clock?: () => number;
}

/** What a {@linkcode SecureTransport} counts. */
export interface SecurityStats {
  /** Datagrams sealed (or labelled) and handed to the wrapped transport. */
  sealed: number;
  /** Datagrams opened and passed up. */
  opened: number;
  /** Datagrams refused, by reason (`rate_limited`, `decrypt_failed`, `replay`, ...). */
  dropped: Record<string, number>;
  /** Bytes each sent datagram grows by. */
  overhead: number;
  /** Sender epochs in the replay table, and how many were evicted to keep it bounded. */
  replayEpochs: number;
  /** Epochs evicted from the replay table. */
  replayEvictions: number;
  /** Source addresses in the rate-limit table. */
  rateSources: number;
  /** Sources evicted from the rate-limit table. */
  rateEvictions: number;
  /** Outgoing datagrams that could not be sealed (logged by the caller, never thrown). */
  sealErrors: number;
}

/** {@linkcode TransportStats} of the wrapped transport plus the security counters. */
export interface SecureTransportStats extends TransportStats {
  /** The decorator's own counters. */
  security: SecurityStats;
}

/**
 * Seals, labels, rate-limits and replay-checks the datagrams of a wrapped transport.
 *
 * Only one consumer may iterate it at a time (like the transports it wraps). Datagrams are
 * opened one after another in arrival order.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from "../transport/memory_transport.ts";
 * import { generateKey } from "./key_material.ts";
 * import { Keyring } from "./keyring.ts";
 * import { SecureTransport } from "./secure_transport.ts";
 * const network = new MemoryNetwork();
 * const key = generateKey();
 * const a = await SecureTransport.wrap(network.open(), { keyring: await Keyring.create([key]) });
 * const b = await SecureTransport.wrap(network.open(), { keyring: await Keyring.create([key]) });
 * await a.send(b.localAddress, new Uint8Array([1, 8, 0, 0, 0, 0, 1, 0, 0, 0, 0]));
 * for await (const packet of b) {
 *   if (packet.bytes.length !== 11) throw new Error("opened");
 *   break;
 * }
 * await a.close();
 * await b.close();
 * ```
 */
export class SecureTransport implements Transport {
  readonly #inner: Transport;
  readonly #sealer: Sealer;
  readonly #limiter: RateLimiter;
  readonly #clock: () => number;
  readonly #keyring: Keyring | undefined;
  #sealed = 0;
  #opened = 0;
  #sealErrors = 0;
  #dropped: Record<string, number> = {};

  private constructor(
    inner: Transport,
    sealer: Sealer,
    options: SecureTransportOptions,
  ) {
    this.#inner = inner;
    this.#sealer = sealer;
    this.#keyring = options.keyring;
    this.#clock = options.clock ?? (() => performance.now());
    this.#limiter = new RateLimiter({
      ratePerSecond: options.ratePerSecond ?? RATE_LIMIT_DEFAULTS.ratePerSecond,
      burst: options.burst ?? RATE_LIMIT_DEFAULTS.burst,
      maxSources: options.maxSources ?? RATE_LIMIT_DEFAULTS.maxSources,
    });
  }

  /**
   * Wraps `inner`. Closing the result closes `inner`.
   *
   * @throws {GossipError} `invalid_option` for a bad label or limit.
   */
  static async wrap(
    inner: Transport,
    options: SecureTransportOptions = {},
  ): Promise<SecureTransport> {
    for (const name of ["ratePerSecond", "burst", "maxSources"] as const) {
      const value = options[name];
      if (value !== undefined && !(Number.isFinite(value) && value >= 1)) {
        throw new GossipError(
          "invalid_option",
          `Invalid option ${name}: ${value} is not a number of at least 1`,
        );
      }
    }
    return new SecureTransport(inner, await Sealer.create(options), options);
  }

  /** The wrapped transport's address. */
  get localAddress(): Address {
    return this.#inner.localAddress;
  }

  /** The keyring in use (install, use and remove keys on it at runtime), if sealing. */
  get keyring(): Keyring | undefined {
    return this.#keyring;
  }

  /** Bytes each sent datagram grows by: 30 sealed, 5 labelled, 0 otherwise. */
  get overhead(): number {
    return this.#sealer.overhead;
  }

  /** Seals `bytes` and sends it through the wrapped transport. Never throws for network errors. */
  async send(to: Address, bytes: Uint8Array): Promise<void> {
    let sealed: Uint8Array;
    try {
      sealed = await this.#sealer.seal(bytes);
    } catch {
      this.#sealErrors++;
      return;
    }
    this.#sealed++;
    await this.#inner.send(to, sealed);
  }

  /** The opened datagrams of the wrapped transport; refused ones are counted and skipped. */
  async *[Symbol.asyncIterator](): AsyncIterator<Packet> {
    for await (const packet of this.#inner) {
      const plain = await this.receive(packet.bytes, packet.from);
      if (plain !== undefined) yield { bytes: plain, from: packet.from };
    }
  }

  /**
   * Applies the rate limit and opens one datagram; returns the plain bytes or undefined (counted).
   * Exposed for drivers that read the socket themselves and for tests. Never throws.
   */
  async receive(bytes: Uint8Array, from: Address): Promise<Uint8Array | undefined> {
    if (!this.#limiter.take(from, this.#clock())) {
      this.#drop("rate_limited");
      return undefined;
    }
    const result = await this.#sealer.open(bytes);
    if (!result.ok) {
      this.#drop(result.reason);
      return undefined;
    }
    this.#opened++;
    return result.plain;
  }

  /** The wrapped transport's counters, with this decorator's drops added, and its own. */
  stats(): SecureTransportStats {
    const inner = transportStats(this.#inner);
    let dropped = 0;
    for (const n of Object.values(this.#dropped)) dropped += n;
    return {
      ...inner,
      dropped: inner.dropped + dropped,
      security: {
        sealed: this.#sealed,
        opened: this.#opened,
        dropped: { ...this.#dropped },
        overhead: this.#sealer.overhead,
        replayEpochs: this.#sealer.replayWindow.size,
        replayEvictions: this.#sealer.replayWindow.evictions,
        rateSources: this.#limiter.size,
        rateEvictions: this.#limiter.evictions,
        sealErrors: this.#sealErrors,
      },
    };
  }

  /** Closes the wrapped transport. */
  close(): Promise<void> {
    return this.#inner.close();
  }

  #drop(reason: string): void {
    this.#dropped[reason] = (this.#dropped[reason] ?? 0) + 1;
  }
}
