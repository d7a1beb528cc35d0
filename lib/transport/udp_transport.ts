/**
 * The native Deno UDP transport, over `Deno.listenDatagram` (the unstable `net` API).
 *
 * @module
 */

import { GossipError } from "../errors.ts";
import { type Address, joinHostPort, splitHostPort } from "../wire/address.ts";
import type { Packet, Transport } from "./transport.ts";

/** Counters every transport of this package exposes through `stats()`. */
export interface TransportStats {
  /** Datagrams handed to the socket. */
  sent: number;
  /** Datagrams received. */
  received: number;
  /** Bytes handed to the socket. */
  bytesSent: number;
  /** Bytes received. */
  bytesReceived: number;
  /** Sends that failed (unreachable, bad address, closed socket); never thrown. */
  sendErrors: number;
  /** Receive errors that were skipped (such as ICMP port unreachable reports). */
  receiveErrors: number;
  /** Datagrams dropped on purpose (a full receive queue, injected loss). */
  dropped: number;
}

/** Fresh zeroed {@linkcode TransportStats}. */
export function emptyTransportStats(): TransportStats {
  return {
    sent: 0,
    received: 0,
    bytesSent: 0,
    bytesReceived: 0,
    sendErrors: 0,
    receiveErrors: 0,
    dropped: 0,
  };
}

/** The shape of `Deno.listenDatagram` this transport needs; injectable for tests. */
export type ListenDatagram = (
  options: { transport: "udp"; hostname: string; port: number },
) => Deno.DatagramConn;

/** Largest UDP datagram; the receive buffer is this size and reused. */
const RECEIVE_BUFFER = 65536;
/** Receive errors in a row after which the socket is considered broken. */
const MAX_CONSECUTIVE_FAILURES = 1000;

/**
 * A {@linkcode Transport} over `Deno.listenDatagram`. Requires `--unstable-net` or
 * `"unstable": ["net"]` in deno.json; {@linkcode openTransport} falls back to node:dgram otherwise.
 *
 * @example
 * ```ts ignore
 * import { UdpTransport } from "./udp_transport.ts";
 * const transport = UdpTransport.listen("127.0.0.1:0");
 * await transport.send(transport.localAddress, new Uint8Array([1]));
 * for await (const packet of transport) { console.log(packet.from); break; }
 * await transport.close();
 * ```
 */
export class UdpTransport implements Transport {
  /** The bound local address, with the real port. */
  readonly localAddress: Address;
  #conn: Deno.DatagramConn;
  #closed = false;
  #stats: TransportStats = emptyTransportStats();

  private constructor(conn: Deno.DatagramConn) {
    this.#conn = conn;
    const addr = conn.addr as Deno.NetAddr;
    this.localAddress = joinHostPort(addr.hostname, addr.port);
  }

  /**
   * Binds a UDP socket at `listen` (`"host:port"`, port 0 for any).
   *
   * @throws {GossipError} `invalid_option` for a malformed address, `transport` when binding fails.
   * Errors of the listen function itself (for example a `TypeError` when the unstable API is off)
   * are rethrown as they are so {@linkcode openTransport} can fall back.
   */
  static listen(listen: Address, listenDatagram?: ListenDatagram): UdpTransport {
    const parts = splitHostPort(listen);
    if (!parts) {
      throw new GossipError(
        "invalid_option",
        `Invalid listen address ${JSON.stringify(listen)}: use host:port, such as 127.0.0.1:7946`,
      );
    }
    const fn = listenDatagram ?? (Deno as unknown as { listenDatagram?: ListenDatagram })
      .listenDatagram;
    if (typeof fn !== "function") {
      throw new TypeError("Deno.listenDatagram is not available: enable the unstable net API");
    }
    let conn: Deno.DatagramConn;
    try {
      conn = fn({ transport: "udp", hostname: parts.host, port: parts.port });
    } catch (error) {
      if (isBindError(error)) {
        throw new GossipError(
          "transport",
          `Cannot listen on ${listen}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      throw error;
    }
    return new UdpTransport(conn);
  }

  /** Sends one datagram; failures are counted in `stats().sendErrors`, never thrown. */
  async send(to: Address, bytes: Uint8Array): Promise<void> {
    const parts = splitHostPort(to);
    if (this.#closed || !parts) {
      this.#stats.sendErrors++;
      return;
    }
    try {
      await this.#conn.send(bytes, { transport: "udp", hostname: parts.host, port: parts.port });
      this.#stats.sent++;
      this.#stats.bytesSent += bytes.length;
    } catch {
      this.#stats.sendErrors++;
    }
  }

  /** Yields datagrams as they arrive until the transport is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<Packet> {
    const buffer = new Uint8Array(RECEIVE_BUFFER);
    let failures = 0;
    while (!this.#closed) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await this.#conn.receive(buffer);
      } catch {
        if (this.#closed) return;
        // An ICMP error for an earlier send surfaces here on some systems; skip it.
        this.#stats.receiveErrors++;
        // A socket that only fails is broken: end rather than spin.
        if (++failures >= MAX_CONSECUTIVE_FAILURES) return;
        continue;
      }
      failures = 0;
      const [view, addr] = received;
      const from = addr as Deno.NetAddr;
      this.#stats.received++;
      this.#stats.bytesReceived += view.length;
      yield { bytes: view.slice(), from: joinHostPort(from.hostname, from.port) };
    }
  }

  /** Counters of this socket. */
  stats(): TransportStats {
    return { ...this.#stats };
  }

  /** Closes the socket and ends iteration. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch {
        // already closed
      }
    }
    return Promise.resolve();
  }
}

function isBindError(error: unknown): boolean {
  return error instanceof Deno.errors.AddrInUse ||
    error instanceof Deno.errors.AddrNotAvailable ||
    error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable;
}
