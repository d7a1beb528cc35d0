/**
 * The packet transport a {@linkcode GossipNode} runs on: best-effort datagrams, nothing more.
 *
 * Sealing, labels, signature checks and loss injection are decorators that wrap a transport and
 * keep this shape; what a caller needs of a stack of them (the bytes they add to each datagram,
 * their counters) is part of it, so a caller never asks which decorator it holds.
 *
 * @module
 */

import type { Address } from "../wire/address.ts";

/** One received datagram. */
export interface Packet {
  /** The datagram's bytes. */
  bytes: Uint8Array;
  /** Where it came from, as `"host:port"`. */
  from: Address;
}

/**
 * A best-effort datagram socket.
 *
 * The two optional members are fast paths for busy nodes; a transport without them works the
 * same, one promise per datagram each way.
 */
export interface Transport extends AsyncIterable<Packet> {
  /** The bound local address, `"host:port"`, with the real port when 0 was asked for. */
  readonly localAddress: Address;
  /** Sends one datagram; never throws for network errors (they are counted by the caller). */
  send(to: Address, bytes: Uint8Array): Promise<void>;
  /**
   * Sends one datagram without handing the caller a promise: fire and forget, failures are
   * counted by the transport. The node uses it, when present, for every datagram it sends.
   */
  post?(to: Address, bytes: Uint8Array): void;
  /**
   * The same datagrams as the async iterator, grouped: each batch holds every datagram that had
   * arrived when the consumer woke up (at least one), so the consumer pays one wake-up per burst
   * instead of one per datagram. Use either this or the iterator, not both.
   */
  batches?(): AsyncIterable<readonly Packet[]>;
  /**
   * Bytes a decorator adds to each datagram it sends (sealing: 30, a label: 5), summed over the
   * stack; the node packs datagrams that much smaller. Absent means 0.
   */
  readonly overhead?: number;
  /** Counters of the socket, with each decorator's added (`security`, `signatures`, ...). */
  stats?(): TransportStats;
  /** Closes the socket; ends the async iteration. Idempotent. */
  close(): Promise<void>;
}

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
  /**
   * What carries the datagrams: `"Deno.listenDatagram"` (the native UDP transport), `"node:dgram"`
   * (the fallback when the unstable net API is off) or `"memory"`; wrappers report the inner
   * transport's. Absent for transports that do not say.
   */
  implementation?: "Deno.listenDatagram" | "node:dgram" | "memory";
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
