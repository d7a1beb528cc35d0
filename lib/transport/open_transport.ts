/**
 * Opens the best UDP transport the runtime offers: Deno's native one, else node:dgram.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { Address } from "../wire/address.ts";
import { DgramTransport } from "./dgram_transport.ts";
import type { Transport } from "./transport.ts";
import {
  emptyTransportStats,
  type ListenDatagram,
  type TransportStats,
  UdpTransport,
} from "./udp_transport.ts";

const logger = getLogger(["starling", "transport"]);

/** Options of {@linkcode openTransport}, mostly for tests. */
export interface OpenTransportOptions {
  /**
   * The native listen function to try; `null` pretends it is missing.
   * @default {Deno.listenDatagram}
   */
  listenDatagram?: ListenDatagram | null;
  /** Bytes of each receive buffer of the native transport (`UdpTransportOptions.receiveBufferSize`). */
  receiveBufferSize?: number;
}

/**
 * Binds a UDP transport at `listen`. Uses {@linkcode UdpTransport} when `Deno.listenDatagram`
 * works; when it is missing or refuses because the unstable net API is off, falls back to
 * {@linkcode DgramTransport} and logs one warning under `["starling", "transport"]`.
 *
 * @throws {GossipError} `invalid_option` for a malformed address, `transport` when binding fails.
 *
 * @example
 * ```ts ignore
 * import { openTransport } from "./open_transport.ts";
 * const transport = await openTransport("127.0.0.1:0");
 * console.log(transport.localAddress);
 * await transport.close();
 * ```
 */
export async function openTransport(
  listen: Address,
  options: OpenTransportOptions = {},
): Promise<Transport> {
  const native = options.listenDatagram === undefined
    ? (Deno as unknown as { listenDatagram?: ListenDatagram }).listenDatagram
    : options.listenDatagram ?? undefined;
  let reason = "Deno.listenDatagram is not available";
  if (typeof native === "function") {
    try {
      return UdpTransport.listen(
        listen,
        native,
        options.receiveBufferSize === undefined
          ? {}
          : { receiveBufferSize: options.receiveBufferSize },
      );
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      reason = `Deno.listenDatagram failed (${error.message})`;
    }
  }
  const transport = await DgramTransport.listen(listen);
  logger.warn(
    "{reason}; using node:dgram on {address} instead. For the native UDP transport, run with " +
      '--unstable-net or add "unstable": ["net"] to deno.json',
    { reason, address: transport.localAddress },
  );
  return transport;
}

/** The counters of a transport that has a `stats()` method; zeros for one that has none. */
export function transportStats(transport: Transport): TransportStats {
  return transport.stats?.() ?? emptyTransportStats();
}
