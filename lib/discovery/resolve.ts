/**
 * Turns candidate peer addresses into literal-IP addresses: validates each, resolves host names
 * (A and AAAA), and logs and skips whatever is bad. Never throws.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { type Address, addressWireSize, joinHostPort, splitHostPort } from "../wire/address.ts";

const logger = getLogger(["starling", "discovery"]);

/** Looks up the records of one type for a name; shaped like `Deno.resolveDns`. */
export type DnsResolver = (name: string, type: "A" | "AAAA") => Promise<string[]>;

/** `Deno.resolveDns`, as a {@linkcode DnsResolver}. */
export const denoResolver: DnsResolver = (name, type) => Deno.resolveDns(name, type);

/**
 * Resolves every A and AAAA record of `name`. Returns the IPs found; a lookup that fails is logged
 * (under `["starling", "discovery"]`) and contributes nothing.
 */
export async function resolveHost(
  name: string,
  resolver: DnsResolver = denoResolver,
): Promise<string[]> {
  const results = await Promise.allSettled([resolver(name, "A"), resolver(name, "AAAA")]);
  const ips: string[] = [];
  const failures: string[] = [];
  for (const result of results) {
    if (result.status === "fulfilled") ips.push(...result.value);
    else failures.push(String((result.reason as Error)?.message ?? result.reason));
  }
  if (ips.length === 0) {
    logger.warn("Cannot resolve {name}: {error}", {
      name,
      error: failures.join("; ") || "no A or AAAA records",
    });
  }
  return ips;
}

/** True when `address` is `ip:port` or `[ipv6]:port` with a literal IP. */
export function isLiteralAddress(address: string): boolean {
  return addressWireSize(address) > 0;
}

/**
 * Validates candidates and resolves host names to IPs. Malformed entries are logged and skipped;
 * duplicates are removed. `source` names where they came from, for the log.
 *
 * @example
 * ```ts
 * import { resolveAddresses } from "./resolve.ts";
 * const list = await resolveAddresses(["10.0.0.1:7946", "bad", "10.0.0.1:7946"], "test");
 * if (list.length !== 1) throw new Error("one valid, deduplicated");
 * ```
 */
export async function resolveAddresses(
  candidates: readonly unknown[],
  source: string,
  resolver: DnsResolver = denoResolver,
): Promise<Address[]> {
  const out = new Set<Address>();
  await Promise.all(candidates.map(async (candidate) => {
    const parts = typeof candidate === "string" ? splitHostPort(candidate.trim()) : undefined;
    if (!parts || parts.port === 0) {
      logger.warn("Skipping invalid peer address {candidate} from {source}: use host:port", {
        candidate: typeof candidate === "string" ? candidate : String(candidate),
        source,
      });
      return;
    }
    const literal = joinHostPort(parts.host, parts.port);
    if (isLiteralAddress(literal)) {
      out.add(literal);
      return;
    }
    if (!/^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9.])?$/.test(parts.host)) {
      logger.warn("Skipping invalid peer address {candidate} from {source}: bad host name", {
        candidate,
        source,
      });
      return;
    }
    for (const ip of await resolveHost(parts.host, resolver)) {
      out.add(joinHostPort(ip, parts.port));
    }
  }));
  return [...out];
}
