import assert from "node:assert/strict";
import { RateLimiter } from "../lib/security/rate_limiter.ts";

Deno.test("RateLimiter allows a burst, then the refill rate, per source", () => {
  const limiter = new RateLimiter({ ratePerSecond: 100, burst: 10, maxSources: 4 });
  let allowed = 0;
  for (let i = 0; i < 50; i++) if (limiter.take("a", 0)) allowed++;
  assert.equal(allowed, 10);
  assert.ok(limiter.take("b", 0), "another source has its own bucket");
  allowed = 0;
  for (let t = 0; t <= 1000; t += 1) if (limiter.take("a", t)) allowed++;
  assert.ok(allowed >= 99 && allowed <= 101, `about 100 in a second, got ${allowed}`);
});

Deno.test("RateLimiter keeps its table bounded under spoofed sources", () => {
  const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, maxSources: 16 });
  for (let i = 0; i < 10_000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}:1`, 0);
  assert.equal(limiter.size, 16);
  assert.equal(limiter.evictions, 10_000 - 16);
});
