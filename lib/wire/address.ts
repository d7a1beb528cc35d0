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
 * Wire forms of recently written addresses and strings of recently read IPv4 ones. Peer lists
 * repeat the same few addresses in every shuffle and probe, and parsing or formatting each time
 * cost more than the rest of the frame; reading also hands out the same string object for the
 * same peer, so the engines' maps compare keys by pointer and hold one copy of each address. Pure
 * memoisation, bounded: a full cache is cleared. The bound is per process (the simulator shares it
 * among all its engines): at 4,096 a 10,000-node simulation cleared it every few hundred datagrams,
 * which made every engine keep its own copy of every address string (about a fifth of the heap)
 * and parse again on every write. An IPv4 wire form is kept as one number (ip × 65536 + port), not
 * a 7-byte array with its own buffer.
 */
const ADDRESS_CACHE = 65536;
const wireV4 = new Map<Address, number>();
const wireForms = new Map<Address, Uint8Array>();
const readIpv4 = new Map<number, Address>();

/**
 * Writes an address at `at`; returns the next offset, or -1 when the address is not a literal IP
 * or does not fit.
 */
export function writeAddress(address: Address, out: Uint8Array, at: number): number {
  const v4 = wireV4.get(address);
  if (v4 !== undefined) return writeV4(v4, out, at);
  let wire = wireForms.get(address);
  if (wire === undefined) {
    const parsed = wireForm(address);
    if (parsed === undefined) return -1;
    if (parsed[0] === 4) {
      const key = ((parsed[1]! << 24) | (parsed[2]! << 16) | (parsed[3]! << 8) | parsed[4]!) >>> 0;
      const packed = key * 65536 + ((parsed[5]! << 8) | parsed[6]!);
      if (wireV4.size >= ADDRESS_CACHE) wireV4.clear();
      wireV4.set(address, packed);
      return writeV4(packed, out, at);
    }
    if (wireForms.size >= ADDRESS_CACHE) wireForms.clear();
    wireForms.set(address, parsed);
    wire = parsed;
  }
  if (at + wire.length > out.length) return -1;
  out.set(wire, at);
  return at + wire.length;
}

/** Writes the IPv4 form packed as ip × 65536 + port. */
function writeV4(packed: number, out: Uint8Array, at: number): number {
  if (at + 7 > out.length) return -1;
  const ip = Math.floor(packed / 65536);
  out[at] = 4;
  out[at + 1] = ip >>> 24;
  out[at + 2] = (ip >>> 16) & 0xff;
  out[at + 3] = (ip >>> 8) & 0xff;
  out[at + 4] = ip & 0xff;
  out[at + 5] = (packed >>> 8) & 0xff;
  out[at + 6] = packed & 0xff;
  return at + 7;
}

function wireForm(address: Address): Uint8Array | undefined {
  const parts = splitHostPort(address);
  if (!parts) return undefined;
  const v4 = new Uint8Array(7);
  if (parseIpv4(parts.host, v4, 1)) {
    v4[0] = 4;
    v4[5] = parts.port >> 8;
    v4[6] = parts.port & 0xff;
    return v4;
  }
  const v6 = new Uint8Array(19);
  if (parseIpv6(parts.host, v6, 1)) {
    v6[0] = 6;
    v6[17] = parts.port >> 8;
    v6[18] = parts.port & 0xff;
    return v6;
  }
  return undefined;
}

/** Reads an address written by {@linkcode writeAddress}; `undefined` when malformed or short. */
export function readAddress(
  bytes: Uint8Array,
  at: number,
): { address: Address; next: number } | undefined {
  const family = bytes[at];
  if (family === 4) {
    if (at + 7 > bytes.length) return undefined;
    const port = (bytes[at + 5]! << 8) | bytes[at + 6]!;
    const ip = ((bytes[at + 1]! << 24) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 8) |
      bytes[at + 4]!) >>> 0;
    const key = ip * 65536 + port;
    let address = readIpv4.get(key);
    if (address === undefined) {
      address = `${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}.${bytes[at + 4]}:${port}`;
      if (readIpv4.size >= ADDRESS_CACHE) readIpv4.clear();
      readIpv4.set(key, address);
    }
    return { address, next: at + 7 };
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
