/**
 * Parses discovery specs as the CLI takes them: `dns:NAME:PORT`, `static:HOST:PORT,HOST:PORT`.
 *
 * @module
 */

import { GossipError } from "../errors.ts";
import { splitHostPort } from "../wire/address.ts";
import { type Discovery, dnsDiscovery, staticDiscovery } from "./discovery.ts";
import type { DnsResolver } from "./resolve.ts";

/**
 * Builds a {@linkcode Discovery} from a spec string.
 *
 * - `dns:NAME:PORT`: every A/AAAA record of NAME, with PORT.
 * - `static:HOST:PORT[,HOST:PORT...]`: a fixed list.
 *
 * @throws {GossipError} `invalid_option` with the accepted forms when the spec is malformed.
 *
 * @example
 * ```ts
 * import { parseDiscovery } from "./parse.ts";
 * const discovery = parseDiscovery("dns:peers:7946");
 * if (discovery.name !== "dns:peers:7946") throw new Error("parsed");
 * ```
 */
export function parseDiscovery(spec: string, resolver?: DnsResolver): Discovery {
  const colon = spec.indexOf(":");
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? "" : spec.slice(colon + 1);
  if (kind === "dns") {
    const parts = splitHostPort(rest);
    if (parts && parts.port > 0 && !parts.host.includes(":")) {
      return dnsDiscovery(parts.host, parts.port, resolver);
    }
  } else if (kind === "static") {
    const list = rest.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
    if (list.length > 0 && list.every((entry) => splitHostPort(entry) !== undefined)) {
      return staticDiscovery(list, resolver);
    }
  }
  throw new GossipError(
    "invalid_option",
    `Invalid discovery ${JSON.stringify(spec)}: use dns:NAME:PORT or static:HOST:PORT,HOST:PORT`,
  );
}
