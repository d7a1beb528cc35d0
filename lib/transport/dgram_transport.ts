/**
 * The fallback UDP transport over `node:dgram`, for runtimes without Deno's unstable net API.
 *
 * @module
 */

import { TRANSPORT_QUEUE_SIZE } from "../defaults.ts";
import dgram from "node:dgram";
import { GossipError } from "../errors.ts";
import { type Address, joinHostPort, splitHostPort } from "../wire/address.ts";
import type { Packet, Transport } from "./transport.ts";
import { ByteSlab } from "../core/byte_slab.ts";
import { BoundedQueue } from "../bounded_queue.ts";
import { emptyTransportStats, type TransportStats } from "./udp_transport.ts";

/** Options of {@linkcode DgramTransport.listen}. */
export interface DgramTransportOptions {
  /** Received datagrams buffered while the consumer is busy; newer ones are dropped. @default {4096} */
  queueSize?: number;
}

/**
 * A {@linkcode Transport} over `node:dgram`. Received datagrams wait in a bounded queue until the
 * consumer takes them; when it is full, new datagrams are dropped and counted.
 *
 * @example
 * ```ts ignore
 * import { DgramTransport } from "./dgram_transport.ts";
 * const transport = await DgramTransport.listen("127.0.0.1:0");
 * await transport.close();
 * ```
 */
export class DgramTransport implements Transport {
  /** The bound local address, with the real port. */
  readonly localAddress: Address;
  #socket: dgram.Socket;
  #queue: BoundedQueue<Packet>;
  #slab = new ByteSlab();
  #closed = false;
  #stats: TransportStats = emptyTransportStats();

  private constructor(socket: dgram.Socket, localAddress: Address, queueSize: number) {
    this.#socket = socket;
    this.localAddress = localAddress;
    this.#queue = new BoundedQueue<Packet>(queueSize, "refuse-newest");
    socket.on("message", (message: Uint8Array, info: dgram.RemoteInfo) => {
      if (this.#closed) return;
      const packet = {
        bytes: this.#slab.copy(message),
        from: joinHostPort(info.address, info.port),
      };
      if (!this.#queue.push(packet)) {
        this.#stats.dropped++;
        return;
      }
      this.#stats.received++;
      this.#stats.bytesReceived += message.length;
    });
    socket.on("error", () => {
      this.#stats.receiveErrors++;
    });
  }

  /**
   * Binds a node:dgram socket at `listen` (`"host:port"`, port 0 for any).
   *
   * @throws {GossipError} `invalid_option` for a malformed address, `transport` when binding fails.
   */
  static async listen(
    listen: Address,
    options: DgramTransportOptions = {},
  ): Promise<DgramTransport> {
    const parts = splitHostPort(listen);
    if (!parts) {
      throw new GossipError(
        "invalid_option",
        `Invalid listen address ${JSON.stringify(listen)}: use host:port, such as 127.0.0.1:7946`,
      );
    }
    const socket = dgram.createSocket({ type: parts.host.includes(":") ? "udp6" : "udp4" });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(parts.port, parts.host, () => {
          socket.off("error", reject);
          resolve();
        });
      });
    } catch (error) {
      try {
        socket.close();
      } catch {
        // never bound
      }
      throw new GossipError("transport", `Cannot listen on ${listen}: ${String(error)}`, {
        cause: error,
      });
    }
    const bound = socket.address();
    return new DgramTransport(
      socket,
      joinHostPort(bound.address, bound.port),
      options.queueSize ?? TRANSPORT_QUEUE_SIZE,
    );
  }

  /** Sends one datagram; failures are counted in `stats().sendErrors`, never thrown. */
  send(to: Address, bytes: Uint8Array): Promise<void> {
    const parts = splitHostPort(to);
    if (this.#closed || !parts) {
      this.#stats.sendErrors++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      try {
        this.#socket.send(bytes, parts.port, parts.host, (error) => {
          if (error) {
            this.#stats.sendErrors++;
          } else {
            this.#stats.sent++;
            this.#stats.bytesSent += bytes.length;
          }
          resolve();
        });
      } catch {
        this.#stats.sendErrors++;
        resolve();
      }
    });
  }

  /** Sends one datagram, fire and forget; failures are counted in `stats().sendErrors`. */
  post(to: Address, bytes: Uint8Array): void {
    this.send(to, bytes);
  }

  /** Yields datagrams as they arrive until the transport is closed. */
  [Symbol.asyncIterator](): AsyncIterator<Packet> {
    return this.#queue.reader();
  }

  /** Yields the datagrams that arrived by each wake-up, as one batch, until closed. */
  batches(): AsyncIterable<readonly Packet[]> {
    return this.#queue.batches();
  }

  /** Counters of this socket. */
  stats(): TransportStats {
    return { ...this.#stats, implementation: "node:dgram" };
  }

  /** Closes the socket and ends iteration. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.close();
    await new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
