/**
 * Per-source token buckets with a bounded table: one address cannot flood a node's decryption,
 * caches or queues, and a flood of spoofed addresses cannot grow memory.
 *
 * @module
 */

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets keyed by source address. A full table forgets its least recently seen source
 * (counted); a forgotten source starts again with a full bucket, which only ever makes the
 * limiter more lenient, never blocks an honest peer.
 *
 * @example
 * ```ts
 * import { RateLimiter } from "./rate_limiter.ts";
 * const limiter = new RateLimiter({ ratePerSecond: 1, burst: 2, maxSources: 8 });
 * const ok = [0, 0, 0].map(() => limiter.take("10.0.0.1:1", 0));
 * if (ok.join() !== "true,true,false") throw new Error("burst of 2");
 * if (!limiter.take("10.0.0.1:1", 1000)) throw new Error("refilled");
 * ```
 */
export class RateLimiter {
  /** Tokens added per second to each bucket. */
  readonly ratePerSecond: number;
  /** Size of each bucket: datagrams a source may send at once. */
  readonly burst: number;
  /** Most sources tracked. */
  readonly maxSources: number;
  #buckets = new Map<string, Bucket>();
  /** Sources forgotten to stay within `maxSources`. */
  evictions = 0;

  /**
   * A limiter with empty tables.
   *
   * @param options Refill rate, bucket size and table bound.
   */
  constructor(options: { ratePerSecond: number; burst: number; maxSources: number }) {
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst;
    this.maxSources = options.maxSources;
  }

  /** Sources tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one token for `source` at `now` (ms); false when its bucket is empty. */
  take(source: string, now: number): boolean {
    let bucket = this.#buckets.get(source);
    if (bucket === undefined) {
      bucket = { tokens: this.burst, at: now };
      if (this.#buckets.size >= this.maxSources) {
        const oldest = this.#buckets.keys().next().value as string;
        this.#buckets.delete(oldest);
        this.evictions++;
      }
    } else {
      this.#buckets.delete(source);
      const elapsed = Math.max(0, now - bucket.at);
      bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsed * this.ratePerSecond) / 1000);
      bucket.at = now;
    }
    this.#buckets.set(source, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
