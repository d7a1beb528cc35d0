/**
 * The native Deno UDP transport, over `Deno.listenDatagram` (the unstable `net` API).
 *
 * @module
 */

import { TRANSPORT_QUEUE_SIZE } from "../defaults.ts";
import { GossipError } from "../errors.ts";
import { type Address, joinHostPort, splitHostPort } from "../wire/address.ts";
import { ByteSlab } from "../core/byte_slab.ts";
import { BoundedQueue } from "../bounded_queue.ts";
import {
  emptyTransportStats,
  type Packet,
  type Transport,
  type TransportStats,
} from "./transport.ts";

export { emptyTransportStats, type TransportStats };

/** The shape of `Deno.listenDatagram` this transport needs; injectable for tests. */
export type ListenDatagram = (
  options: { transport: "udp"; hostname: string; port: number },
) => Deno.DatagramConn;

/** Largest UDP datagram: the default receive buffer size. */
const MAX_UDP_DATAGRAM = 65536;
/** Receive errors in a row after which the socket is considered broken. */
const MAX_CONSECUTIVE_FAILURES = 1000;
/**
 * Most receive calls kept outstanding. Deno completes one receive call per event-loop turn, so
 * with one call a burst of k datagrams costs k wake-ups of the consumer; with several, each turn
 * hands over up to that many (measured: 1, 2, 4, 8 calls give 1, 2, 4, 8 datagrams per wake-up in
 * a burst). But every outstanding call is woken for each datagram, so sparse traffic pays for the
 * extra calls (8 calls cost ~10-15 % more CPU per datagram than 1 with one message in flight).
 * The number of calls therefore adapts: one more when a wake-up brings as many datagrams as
 * there are calls, one fewer after 16 wake-ups in a row that brought a single datagram.
 */
const MAX_RECEIVERS = 8;
/** Parsed send targets and formatted sources kept; a full cache is cleared (hostile-safe). */
const ADDRESS_CACHE = 4096;

/** Options of {@linkcode UdpTransport.listen}. */
export interface UdpTransportOptions {
  /** Received datagrams buffered while the consumer is busy; newer ones are dropped. @default {4096} */
  queueSize?: number;
  /**
   * Bytes of each receive buffer: longer datagrams are cut to this size (and then fail to
   * decode). A node passes its `maxDatagramSize` + 1 so oversized datagrams are still seen as
   * such. @default {65536}
   */
  receiveBufferSize?: number;
}

type UdpTarget = Deno.NetAddr & { transport: "udp" };

/**
 * A {@linkcode Transport} over `Deno.listenDatagram`. Requires `--unstable-net` or
 * `"unstable": ["net"]` in deno.json; {@linkcode openTransport} falls back to node:dgram otherwise.
 *
 * Several receive calls stay outstanding and what they get waits in a bounded queue (a full queue
 * drops and counts); datagrams are copied into shared slabs (see {@linkcode ByteSlab}); addresses
 * are parsed and formatted once per peer, not once per datagram.
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
  #queue: BoundedQueue<Packet>;
  #bufferSize: number;
  #receiving = false;
  /** Receive calls running, and how many should. */
  #receivers = 0;
  #wantedReceivers = 1;
  /** Single-datagram wake-ups in a row, and the buffers of retired calls for the next ones. */
  #singles = 0;
  #spareBuffers: Uint8Array[] = [];
  #failures = 0;
  #slab = new ByteSlab();
  #targets = new Map<Address, UdpTarget>();
  /** Formatted source addresses by port, with the host they were made for. */
  #sources = new Map<number, { host: string; address: Address }>();
  #sendFailed = (): void => {
    this.#stats.sendErrors++;
    this.#stats.sent--;
  };

  private constructor(conn: Deno.DatagramConn, options: UdpTransportOptions) {
    this.#conn = conn;
    const addr = conn.addr as Deno.NetAddr;
    this.localAddress = joinHostPort(addr.hostname, addr.port);
    this.#queue = new BoundedQueue<Packet>(
      options.queueSize ?? TRANSPORT_QUEUE_SIZE,
      "refuse-newest",
    );
    this.#bufferSize = options.receiveBufferSize ?? MAX_UDP_DATAGRAM;
  }

  /**
   * Binds a UDP socket at `listen` (`"host:port"`, port 0 for any).
   *
   * @throws {GossipError} `invalid_option` for a malformed address, `transport` when binding fails.
   * Errors of the listen function itself (for example a `TypeError` when the unstable API is off)
   * are rethrown as they are so {@linkcode openTransport} can fall back.
   */
  static listen(
    listen: Address,
    listenDatagram?: ListenDatagram,
    options: UdpTransportOptions = {},
  ): UdpTransport {
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
    return new UdpTransport(conn, options);
  }

  /** Sends one datagram; failures are counted in `stats().sendErrors`, never thrown. */
  send(to: Address, bytes: Uint8Array): Promise<void> {
    const target = this.#target(to);
    if (this.#closed || !target) {
      this.#stats.sendErrors++;
      return Promise.resolve();
    }
    this.#stats.sent++;
    this.#stats.bytesSent += bytes.length;
    return this.#conn.send(bytes, target).then(() => {}, this.#sendFailed);
  }

  /** Sends one datagram, fire and forget; failures are counted in `stats().sendErrors`. */
  post(to: Address, bytes: Uint8Array): void {
    const target = this.#target(to);
    if (this.#closed || !target) {
      this.#stats.sendErrors++;
      return;
    }
    this.#stats.sent++;
    this.#stats.bytesSent += bytes.length;
    this.#conn.send(bytes, target).then(undefined, this.#sendFailed);
  }

  #target(to: Address): UdpTarget | undefined {
    const cached = this.#targets.get(to);
    if (cached) return cached;
    const parts = splitHostPort(to);
    if (!parts) return undefined;
    if (this.#targets.size >= ADDRESS_CACHE) this.#targets.clear();
    const target: UdpTarget = { transport: "udp", hostname: parts.host, port: parts.port };
    this.#targets.set(to, target);
    return target;
  }

  /**
   * Yields datagrams as they arrive until the transport is closed. Leaving the loop keeps what
   * arrived meanwhile queued for the next loop.
   */
  [Symbol.asyncIterator](): AsyncIterator<Packet> {
    this.#startReceiving();
    return this.#queue.reader();
  }

  /** Yields the datagrams that arrived by each wake-up, as one batch, until closed. */
  batches(): AsyncIterable<readonly Packet[]> {
    this.#startReceiving();
    return this.#queue.batches(this.#adapt);
  }

  /** Adds a receive call after a full wake-up, retires one after a run of single datagrams. */
  #adapt = (size: number): void => {
    if (size > 1) this.#singles = 0;
    if (size >= this.#receivers && this.#receivers < MAX_RECEIVERS) {
      this.#wantedReceivers = this.#receivers + 1;
      this.#addReceiver();
    } else if (size === 1 && this.#wantedReceivers > 1 && ++this.#singles >= 16) {
      // Sixteen single-datagram wake-ups in a row: the burst is over; the first call to finish
      // retires (slowly, so a bursty flow does not start and stop calls all the time).
      this.#wantedReceivers--;
      this.#singles = 0;
    }
  };

  #startReceiving(): void {
    if (this.#receiving || this.#closed) return;
    this.#receiving = true;
    this.#addReceiver();
  }

  #addReceiver(): void {
    if (this.#closed) return;
    this.#receivers++;
    this.#receiveInto(this.#spareBuffers.pop() ?? new Uint8Array(this.#bufferSize));
  }

  /** One receive call after another until closed, or until there are more calls than wanted. */
  async #receiveInto(buffer: Uint8Array): Promise<void> {
    try {
      while (!this.#closed) {
        let received: [Uint8Array, Deno.Addr];
        try {
          received = await this.#conn.receive(buffer);
        } catch {
          if (this.#closed) return;
          // An ICMP error for an earlier send surfaces here on some systems; skip it.
          this.#stats.receiveErrors++;
          // A socket that only fails is broken: end rather than spin.
          if (++this.#failures >= MAX_CONSECUTIVE_FAILURES) {
            this.#queue.close();
            return;
          }
          continue;
        }
        this.#failures = 0;
        const [view, addr] = received;
        const packet = { bytes: this.#slab.copy(view), from: this.#source(addr as Deno.NetAddr) };
        if (this.#queue.push(packet)) {
          this.#stats.received++;
          this.#stats.bytesReceived += view.length;
        } else if (!this.#closed) this.#stats.dropped++;
        if (this.#receivers > this.#wantedReceivers) {
          this.#spareBuffers.push(buffer);
          return;
        }
      }
    } finally {
      // Runs as the call returns, so a second call finishing in the same turn sees the new count
      // and the last one never retires.
      this.#receivers--;
    }
  }

  /** The source as an Address, the same string object each time (its hash is computed once). */
  #source(addr: Deno.NetAddr): Address {
    const cached = this.#sources.get(addr.port);
    if (cached && cached.host === addr.hostname) return cached.address;
    if (this.#sources.size >= ADDRESS_CACHE) this.#sources.clear();
    const address = joinHostPort(addr.hostname, addr.port);
    this.#sources.set(addr.port, { host: addr.hostname, address });
    return address;
  }

  /** Counters of this socket. */
  stats(): TransportStats {
    return { ...this.#stats, implementation: "Deno.listenDatagram" };
  }

  /** Closes the socket and ends iteration. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#queue.close();
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
