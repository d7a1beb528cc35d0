/**
 * starling: gossip for data dissemination over UDP. Any node publishes a small binary message;
 * every live node of the cluster receives it, quickly and once, with no server.
 *
 * This root export holds what an application needs: {@linkcode GossipNode}, its options and
 * presets, errors, discovery, and the event and message types. The rest lives behind subpath
 * exports: `@starling/gossip/transport` (in-memory, lossy and UDP transports),
 * `@starling/gossip/security` (keys, sealing, signatures), `@starling/gossip/metrics` (counters
 * and Prometheus), `@starling/gossip/sim` (the deterministic simulator) and
 * `@starling/gossip/engine` (the pure protocol engine).
 *
 * @example Two nodes in one process
 * ```ts ignore
 * import { GossipNode } from "@starling/gossip";
 *
 * await using a = await GossipNode.start({ listen: "127.0.0.1:7001" });
 * await using b = await GossipNode.start({ listen: "127.0.0.1:7002", seeds: [a.address] });
 * a.onMessage((m) => console.log(new TextDecoder().decode(m.data)));
 * b.publish(new TextEncoder().encode("hello, cluster"));
 * for await (const m of a.messages()) { console.log(m.hops); break; }
 * ```
 *
 * @module
 */

export {
  type DeliveryEvent,
  GossipNode,
  type NodeCounters,
  type NodeOptions,
  type NodeSecurityOptions,
  type NodeStats,
  type NodeTransportStats,
} from "./lib/node/node.ts";
export type { Delivery, PeerEvent } from "./lib/engine/engine.ts";
export {
  type BroadcastMode,
  type GossipOptions,
  type HistoryMode,
  maxPayloadSize,
  type SamplingMode,
} from "./lib/options.ts";
export { lanOptions, localOptions, wanOptions } from "./lib/presets.ts";
export { GossipError, type GossipErrorCode } from "./lib/errors.ts";
export {
  discoverAll,
  type Discovery,
  dnsDiscovery,
  functionDiscovery,
  staticDiscovery,
} from "./lib/discovery/discovery.ts";
export { parseDiscovery } from "./lib/discovery/parse.ts";
export { type DnsResolver, resolveAddresses } from "./lib/discovery/resolve.ts";
export type { Address } from "./lib/wire/address.ts";
export { formatMessageId, type MessageId, originOf, seqOf } from "./lib/wire/message_id.ts";
export { type KeyInput, Keyring } from "./lib/security/keyring.ts";
export type { Packet, Transport } from "./lib/transport/transport.ts";
