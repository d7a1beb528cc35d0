/**
 * Network groups of addresses: the prefix an operator (or an attacker) typically controls as a
 * block. Peer lists limit how many entries one group may hold, so an attacker with many addresses
 * in few prefixes cannot fill a view (Bitcoin Core buckets its address manager by /16 groups for
 * the same reason; we use the narrower /24 for IPv4 and /48 for IPv6, which still separates
 * typical cloud tenants and container networks).
 *
 * @module
 */

import { type Address, splitHostPort } from "../wire/address.ts";

/** Expands an IPv6 text to its eight groups, or undefined when it is not one. */
function ipv6Groups(host: string): string[] | undefined {
  const halves = host.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : halves[0]!.split(":");
  const tail = halves.length === 2 && halves[1] !== "" ? halves[1]!.split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const all = [...head, ...new Array<string>(missing).fill("0"), ...tail];
  if (!all.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  return all.map((group) => parseInt(group, 16).toString(16));
}

/**
 * The group of `address`: `"a.b.c"` (/24) for IPv4, the first three groups (/48) for IPv6, the
 * host itself for anything else (a name the driver has not resolved).
 */
export function addressGroup(address: Address): string {
  const parts = splitHostPort(address);
  if (!parts) return address;
  const host = parts.host;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host.slice(0, host.lastIndexOf("."));
  const groups = ipv6Groups(host);
  return groups ? groups.slice(0, 3).join(":") : host;
}
