/**
 * An in-memory datagram network for tests: many {@linkcode MemoryTransport}s in one process,
 * with links that can be cut and healed.
 *
 * @module
 */

import { TRANSPORT_QUEUE_SIZE } from "../defaults.ts";
import { GossipError } from "../errors.ts";
import { type Address, splitHostPort } from "../wire/address.ts";
import type { Packet, Transport } from "./transport.ts";
import { BoundedQueue } from "../bounded_queue.ts";
import { emptyTransportStats, type TransportStats } from "./udp_transport.ts";

/** Options of a {@linkcode MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Datagrams each endpoint buffers; newer ones are dropped when full. @default {4096} */
  queueSize?: number;
}

/**
 * A set of in-memory endpoints that exchange datagrams. Addresses are IPv4 literals
 * (`10.0.x.y:7946`) so they travel in peer lists like real ones.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from "./memory_transport.ts";
 * const network = new MemoryNetwork();
 * const a = network.open(), b = network.open();
 * await a.send(b.localAddress, new Uint8Array([7]));
 * for await (const packet of b) {
 *   if (packet.from !== a.localAddress) throw new Error("from a");
 *   break;
 * }
 * await a.close();
 * await b.close();
 * ```
 */
export class MemoryNetwork {
  #endpoints = new Map<Address, MemoryTransport>();
  #cut = new Set<string>();
  #next = 1;
  #queueSize: number;

  /**
   * Creates an empty network.
   *
   * @param options Queue bound per endpoint.
   */
  constructor(options: MemoryNetworkOptions = {}) {
    this.#queueSize = options.queueSize ?? TRANSPORT_QUEUE_SIZE;
  }

  /**
   * Opens an endpoint at `address`, or at the next free `10.0.x.y:7946` when omitted.
   *
   * @throws {GossipError} `transport` when the address is taken or malformed.
   */
  open(address?: Address): MemoryTransport {
    let chosen = address;
    if (chosen === undefined) {
      do {
        const n = this.#next++;
        chosen = `10.0.${(n >> 8) & 0xff}.${n & 0xff}:7946`;
      } while (this.#endpoints.has(chosen));
    }
    if (!splitHostPort(chosen) || this.#endpoints.has(chosen)) {
      throw new GossipError("transport", `Cannot open ${chosen}: malformed or already in use`);
    }
    const transport = new MemoryTransport(this, chosen, this.#queueSize);
    this.#endpoints.set(chosen, transport);
    return transport;
  }

  /** Cuts the link between two addresses in both directions. */
  cut(a: Address, b: Address): void {
    this.#cut.add(linkKey(a, b));
  }

  /** Restores every cut link. */
  heal(): void {
    this.#cut.clear();
  }

  /** @internal Routes one datagram; returns false when nobody is listening or the link is cut. */
  route(from: Address, to: Address, bytes: Uint8Array): boolean {
    const target = this.#endpoints.get(to);
    if (!target || this.#cut.has(linkKey(from, to))) return false;
    return target.enqueue({ bytes: bytes.slice(), from });
  }

  /** @internal Forgets a closed endpoint. */
  release(address: Address): void {
    this.#endpoints.delete(address);
  }
}

function linkKey(a: Address, b: Address): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** One endpoint of a {@linkcode MemoryNetwork}; create it with {@linkcode MemoryNetwork.open}. */
export class MemoryTransport implements Transport {
  /** This endpoint's address. */
  readonly localAddress: Address;
  #network: MemoryNetwork;
  #queue: BoundedQueue<Packet>;
  #closed = false;
  #stats: TransportStats = emptyTransportStats();

  /**
   * Creates an endpoint; use {@linkcode MemoryNetwork.open} instead.
   *
   * @internal
   */
  constructor(network: MemoryNetwork, address: Address, queueSize: number) {
    this.#network = network;
    this.localAddress = address;
    this.#queue = new BoundedQueue<Packet>(queueSize, "refuse-newest");
  }

  /** Delivers to another endpoint; an unknown address or a cut link counts as a send error. */
  send(to: Address, bytes: Uint8Array): Promise<void> {
    if (this.#closed || !this.#network.route(this.localAddress, to, bytes)) {
      this.#stats.sendErrors++;
    } else {
      this.#stats.sent++;
      this.#stats.bytesSent += bytes.length;
    }
    return Promise.resolve();
  }

  /** @internal Called by the network; false when the queue is full or the endpoint closed. */
  enqueue(packet: Packet): boolean {
    if (this.#closed) return false;
    if (!this.#queue.push(packet)) {
      this.#stats.dropped++;
      return true;
    }
    this.#stats.received++;
    this.#stats.bytesReceived += packet.bytes.length;
    return true;
  }

  /** Yields datagrams as they arrive until closed. */
  [Symbol.asyncIterator](): AsyncIterator<Packet> {
    return this.#queue.reader();
  }

  /** Yields the datagrams that arrived by each wake-up, as one batch, until closed. */
  batches(): AsyncIterable<readonly Packet[]> {
    return this.#queue.batches();
  }

  /** Counters of this endpoint. */
  stats(): TransportStats {
    return { ...this.#stats, implementation: "memory" };
  }

  /** Leaves the network and ends iteration. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#queue.close();
      this.#network.release(this.localAddress);
    }
    return Promise.resolve();
  }
}
