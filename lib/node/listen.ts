/**
 * Binding the node's UDP socket at its `listen` address, with every failure turned into one
 * clear {@linkcode GossipError} (the CLI prints it as one line and exits 2).
 *
 * @module
 */

import { GossipError } from "../errors.ts";
import { openTransport } from "../transport/open_transport.ts";
import type { Transport } from "../transport/transport.ts";
import type { Address } from "../wire/address.ts";

/** Binds the UDP socket; a failure of any kind becomes a one-line `GossipError`. */
export async function openListenTransport(
  listen: Address,
  options?: Parameters<typeof openTransport>[1],
): Promise<Transport> {
  try {
    return await openTransport(listen, options);
  } catch (error) {
    if (error instanceof GossipError) throw error;
    const reason = String((error as Error)?.message ?? error).split("\n")[0];
    throw new GossipError(
      "transport",
      `Cannot listen on ${listen}: ${reason}; pass an IP address of this machine or a host ` +
        "name that resolves to one",
      { cause: error },
    );
  }
}
