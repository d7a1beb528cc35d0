/**
 * Where a node's peers come from besides the protocol: the seeds it was given (resolved, its own
 * address removed, unresolved host names retried with backoff) and the discovery refresh.
 *
 * The discovery refresh: asks every configured {@linkcode Discovery} source for peers,
 * hands the addresses other than the node's own to the engine as seeds, then waits
 * `discoveryIntervalMs` and asks again, until stopped. Rounds never overlap: the next one is
 * scheduled only when the current one has finished. The engine contacts only seeds it did not
 * know, so repeating a round is cheap.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { Discovery } from "../discovery/discovery.ts";
import { discoverAll } from "../discovery/discovery.ts";
import { type DnsResolver, isLiteralAddress, resolveAddresses } from "../discovery/resolve.ts";
import type { NodeCounters } from "./options.ts";
import { type Address, splitHostPort } from "../wire/address.ts";

const logger = getLogger(["starling", "node"]);

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
    const others = found.filter((address) => !isOwnAddress(address, target.address));
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

/**
 * True when `seed` names this node itself: the same address, or the same port on a loopback
 * address while the node listens on every interface (`0.0.0.0`, `::`).
 */
export function isOwnAddress(seed: Address, own: Address): boolean {
  if (seed === own) return true;
  const s = splitHostPort(seed);
  const o = splitHostPort(own);
  if (!s || !o || s.port !== o.port) return false;
  const wildcard = o.host === "0.0.0.0" || o.host === "::";
  const loopback = s.host.startsWith("127.") || s.host === "::1";
  return wildcard && (loopback || s.host === o.host);
}

/** Seeds after resolution: those that gave addresses, and host names that resolved to none. */
export interface ResolvedSeeds {
  /** Literal addresses to join through. */
  addresses: Address[];
  /** Well-formed `host:port` seeds whose host name did not resolve (yet). */
  unresolved: string[];
}

/**
 * Resolves each seed on its own, so that a host name that does not resolve yet is remembered
 * for {@linkcode SeedRetry} instead of being dropped for good. Malformed seeds are logged and
 * skipped (by `resolveAddresses`).
 */
export async function resolveSeeds(
  seeds: readonly string[],
  resolver: DnsResolver | undefined,
): Promise<ResolvedSeeds> {
  const addresses = new Set<Address>();
  const unresolved: string[] = [];
  await Promise.all(seeds.map(async (seed) => {
    const found = await resolveAddresses([seed], "seeds", resolver);
    for (const address of found) addresses.add(address);
    const parts = splitHostPort(seed.trim());
    if (found.length === 0 && parts && parts.port !== 0 && !isLiteralAddress(seed.trim())) {
      unresolved.push(seed.trim());
    }
  }));
  return { addresses: [...addresses], unresolved };
}

/**
 * Retries seeds whose host names did not resolve, with exponential backoff (first `minMs`,
 * doubling up to `maxMs`), until each resolves; then hands its addresses to the engine. A name
 * that comes up late in DNS (a container not yet started) thus still joins the node to the
 * cluster instead of leaving it alone forever.
 */
export class SeedRetry {
  #pending: string[];
  #delay: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #attempt: Promise<void> = Promise.resolve();
  #stopped = false;

  /**
   * @param unresolved The seeds to retry.
   * @param minMs First delay.
   * @param maxMs Longest delay.
   * @param target Where found addresses go, and where retries are counted.
   * @param resolver DNS lookups.
   */
  constructor(
    unresolved: readonly string[],
    readonly minMs: number,
    readonly maxMs: number,
    readonly target: DiscoveryTarget,
    readonly resolver?: DnsResolver,
  ) {
    this.#pending = [...unresolved];
    this.#delay = minMs;
  }

  /** Seeds still unresolved. */
  get pending(): readonly string[] {
    return this.#pending;
  }

  /** Schedules the first retry (when there is anything to retry). */
  start(): void {
    if (this.#pending.length === 0 || this.#stopped) return;
    logger.warn(
      "Seeds {seeds} do not resolve yet; retrying in {delay} ms, then with backoff up to {max} ms",
      { seeds: this.#pending.join(", "), delay: this.#delay, max: this.maxMs },
    );
    this.#schedule();
  }

  /** Stops retrying; resolves when an attempt in flight has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#attempt;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#attempt = this.#retry();
    }, this.#delay);
    this.#delay = Math.min(this.maxMs, this.#delay * 2);
  }

  async #retry(): Promise<void> {
    if (this.#stopped) return;
    const target = this.target;
    target.counters.seedRetries++;
    const { addresses, unresolved } = await resolveSeeds(this.#pending, this.resolver);
    if (this.#stopped) return;
    this.#pending = unresolved;
    const others = addresses.filter((address) => !isOwnAddress(address, target.address));
    if (others.length > 0) {
      logger.info("Seeds resolved on retry: {addresses}", { addresses: others.join(", ") });
      target.addSeeds(others);
    }
    if (this.#pending.length > 0) this.#schedule();
  }
}
