/**
 * Socket addresses as the engine sees them ("host:port" strings) and their compact wire form.
 *
 * The engine treats an address as an opaque string; only peer lists need a binary form. The wire
 * form is a family byte (4 or 6), the IP bytes and a big-endian port: 7 bytes for IPv4, 19 for
 * IPv6. Host names cannot travel in peer lists; the driver resolves them before they reach here.
 *
 * @module
 */

/** A peer's transport address, `"a.b.c.d:port"` or `"[v6]:port"`. */
export type Address = string;

/** Splits `"host:port"` or `"[v6]:port"`; returns `undefined` when it is not of that shape. */
export function splitHostPort(address: string): { host: string; port: number } | undefined {
  let host: string;
  let portText: string;
  if (address.startsWith("[")) {
    const close = address.indexOf("]:");
    if (close < 0) return undefined;
    host = address.slice(1, close);
    portText = address.slice(close + 2);
  } else {
    const colon = address.lastIndexOf(":");
    if (colon <= 0 || address.indexOf(":") !== colon) return undefined;
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535 || host.length === 0) return undefined;
  return { host, port };
}

/** Joins a host and a port into an {@linkcode Address}, bracketing IPv6 hosts. */
export function joinHostPort(host: string, port: number): Address {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function parseIpv4(host: string, out: Uint8Array, at: number): boolean {
  const parts = host.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^\d{1,3}$/.test(part)) return false;
    const value = Number(part);
    if (value > 255) return false;
    out[at + i] = value;
  }
  return true;
}

function parseIpv6(host: string, out: Uint8Array, at: number): boolean {
  const halves = host.split("::");
  if (halves.length > 2) return false;
  const groups = (text: string): number[] | undefined => {
    if (text === "") return [];
    const result: number[] = [];
    for (const group of text.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
      result.push(parseInt(group, 16));
    }
    return result;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return false;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return false;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  for (let i = 0; i < 8; i++) {
    out[at + 2 * i] = all[i]! >> 8;
    out[at + 2 * i + 1] = all[i]! & 0xff;
  }
  return true;
}

/** Bytes {@linkcode writeAddress} needs for an address, or 0 when it has no wire form. */
export function addressWireSize(address: Address): number {
  const parts = splitHostPort(address);
  if (!parts) return 0;
  const scratch = new Uint8Array(16);
  if (parseIpv4(parts.host, scratch, 0)) return 7;
  if (parseIpv6(parts.host, scratch, 0)) return 19;
  return 0;
}

/**
 * Writes an address at `at`; returns the next offset, or -1 when the address is not a literal IP
 * or does not fit.
 */
export function writeAddress(address: Address, out: Uint8Array, at: number): number {
  const parts = splitHostPort(address);
  if (!parts) return -1;
  if (at + 7 <= out.length && parseIpv4(parts.host, out, at + 1)) {
    out[at] = 4;
    out[at + 5] = parts.port >> 8;
    out[at + 6] = parts.port & 0xff;
    return at + 7;
  }
  if (at + 19 <= out.length && parseIpv6(parts.host, out, at + 1)) {
    out[at] = 6;
    out[at + 17] = parts.port >> 8;
    out[at + 18] = parts.port & 0xff;
    return at + 19;
  }
  return -1;
}

/** Reads an address written by {@linkcode writeAddress}; `undefined` when malformed or short. */
export function readAddress(
  bytes: Uint8Array,
  at: number,
): { address: Address; next: number } | undefined {
  const family = bytes[at];
  if (family === 4) {
    if (at + 7 > bytes.length) return undefined;
    const host = `${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}.${bytes[at + 4]}`;
    const port = (bytes[at + 5]! << 8) | bytes[at + 6]!;
    return { address: `${host}:${port}`, next: at + 7 };
  }
  if (family === 6) {
    if (at + 19 > bytes.length) return undefined;
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) {
      groups.push(((bytes[at + 1 + 2 * i]! << 8) | bytes[at + 2 + 2 * i]!).toString(16));
    }
    const port = (bytes[at + 17]! << 8) | bytes[at + 18]!;
    return { address: `[${groups.join(":")}]:${port}`, next: at + 19 };
  }
  return undefined;
}
