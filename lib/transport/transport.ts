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

/** A best-effort datagram socket. */
export interface Transport extends AsyncIterable<Packet> {
  /** The bound local address, `"host:port"`, with the real port when 0 was asked for. */
  readonly localAddress: Address;
  /** Sends one datagram; never throws for network errors (they are counted by the caller). */
  send(to: Address, bytes: Uint8Array): Promise<void>;
  /** Closes the socket; ends the async iteration. Idempotent. */
  close(): Promise<void>;
}
