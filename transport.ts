/**
 * Transports: what a {@linkcode Transport} is (send a datagram, iterate over received packets,
 * close), the UDP ones a node binds (`Deno.listenDatagram`, with `node:dgram` as the fallback),
 * and the in-memory and lossy ones for tests and experiments. Pass one as `transport` to
 * `GossipNode.start` to run a node on it instead of binding a socket.
 *
 * @example Two nodes on an in-memory network
 * ```ts
 * import { GossipNode } from "@starling/gossip";
 * import { MemoryNetwork } from "@starling/gossip/transport";
 *
 * const network = new MemoryNetwork();
 * await using a = await GossipNode.start({ transport: network.open("10.0.0.1:7946") });
 * await using b = await GossipNode.start({
 *   transport: network.open("10.0.0.2:7946"),
 *   seeds: [a.address],
 * });
 * console.log(b.stats().transport);
 * ```
 *
 * @module
 */

export type { Packet, Transport } from "./lib/transport/transport.ts";
export {
  type ListenDatagram,
  type TransportStats,
  UdpTransport,
  type UdpTransportOptions,
} from "./lib/transport/udp_transport.ts";
export { DgramTransport, type DgramTransportOptions } from "./lib/transport/dgram_transport.ts";
export {
  MemoryNetwork,
  type MemoryNetworkOptions,
  MemoryTransport,
} from "./lib/transport/memory_transport.ts";
export { LossyTransport, type LossyTransportOptions } from "./lib/transport/lossy_transport.ts";
export {
  openTransport,
  type OpenTransportOptions,
  transportStats,
} from "./lib/transport/open_transport.ts";
