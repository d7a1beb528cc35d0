/**
 * Discovery: where a node finds candidate peers (gogossip's external discovery layer). The node
 * asks every configured discovery at start and then periodically, validates what comes back, and
 * feeds new candidates to the engine, so a partitioned or restarted node finds its way back.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { Address } from "../wire/address.ts";
import { type DnsResolver, resolveAddresses, resolveHost } from "./resolve.ts";

const logger = getLogger(["starling", "discovery"]);

/** A source of candidate peer addresses. */
export interface Discovery {
  /** A short description for logs, such as `dns:peers:7946`. */
  readonly name: string;
  /**
   * Returns candidate addresses (`"host:port"`). They are validated by the node: bad entries are
   * logged and skipped. Should not throw; if it does, the node logs it and tries again later.
   */
  discover(): Promise<Address[]>;
}

/**
 * A fixed list of addresses; host names in it are resolved (A and AAAA) on every round.
 *
 * @example
 * ```ts
 * import { staticDiscovery } from "./discovery.ts";
 * const found = await staticDiscovery(["10.0.0.1:7946", "nonsense"]).discover();
 * if (found.join() !== "10.0.0.1:7946") throw new Error("bad entries are skipped");
 * ```
 */
export function staticDiscovery(
  addresses: readonly string[],
  resolver?: DnsResolver,
): Discovery {
  const list = [...addresses];
  return {
    name: `static:${list.join(",")}`,
    discover: () => resolveAddresses(list, "static discovery", resolver),
  };
}

/**
 * Every A and AAAA record of `hostname`, each with `port`: a compose service name or a
 * Kubernetes headless service is enough to find the peers. A failed lookup yields `[]` and a log
 * line.
 *
 * @example
 * ```ts ignore
 * import { dnsDiscovery } from "./discovery.ts";
 * const peers = await dnsDiscovery("starling.default.svc.cluster.local", 7946).discover();
 * ```
 */
export function dnsDiscovery(hostname: string, port: number, resolver?: DnsResolver): Discovery {
  const name = `dns:${hostname}:${port}`;
  return {
    name,
    async discover(): Promise<Address[]> {
      const ips = await resolveHost(hostname, resolver);
      return resolveAddresses(
        ips.map((ip) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`)),
        name,
      );
    },
  };
}

/**
 * Candidates from a function of yours (a service registry, a file, an API). Whatever it returns
 * is validated; if it throws, the error is logged and the round yields `[]`.
 *
 * @example
 * ```ts
 * import { functionDiscovery } from "./discovery.ts";
 * const discovery = functionDiscovery(() => ["10.0.0.2:7946", "10.0.0.3:99999"]);
 * const found = await discovery.discover();
 * if (found.length !== 1) throw new Error("the port out of range is skipped");
 * ```
 */
export function functionDiscovery(
  fn: () => readonly string[] | Promise<readonly string[]>,
  name = "function",
  resolver?: DnsResolver,
): Discovery {
  return {
    name,
    async discover(): Promise<Address[]> {
      let result: unknown;
      try {
        result = await fn();
      } catch (error) {
        logger.warn("Discovery {name} failed: {error}", { name, error: String(error) });
        return [];
      }
      if (!Array.isArray(result)) {
        logger.warn("Discovery {name} returned {type}, not an array of host:port", {
          name,
          type: typeof result,
        });
        return [];
      }
      return resolveAddresses(result, name, resolver);
    },
  };
}

/**
 * Runs several discoveries and merges what they find; one that throws is logged and skipped.
 */
export async function discoverAll(discoveries: readonly Discovery[]): Promise<Address[]> {
  const rounds = await Promise.all(discoveries.map(async (discovery) => {
    try {
      const found = await discovery.discover();
      return Array.isArray(found) ? await resolveAddresses(found, discovery.name) : [];
    } catch (error) {
      logger.warn("Discovery {name} failed: {error}", {
        name: discovery.name,
        error: String(error),
      });
      return [];
    }
  }));
  return [...new Set(rounds.flat())];
}
