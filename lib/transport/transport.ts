/**
 * The packet transport a {@linkcode GossipNode} runs on: best-effort datagrams, nothing more.
 *
 * Sealing, labels and loss injection are decorators that wrap a transport and keep this shape.
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
  /** Closes the socket; ends the async iteration. Idempotent. */
  close(): Promise<void>;
}
