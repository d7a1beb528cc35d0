/**
 * starling: gossip for data dissemination over UDP. Any node publishes a small binary message;
 * every live node of the cluster receives it, quickly and once, with no server.
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
} from "./lib/node.ts";
export {
  type Delivery,
  Engine,
  type EngineOptions,
  type EngineOutput,
  type EngineStats,
  type PeerEvent,
} from "./lib/engine/engine.ts";
export type { MembershipStats } from "./lib/membership/membership.ts";
export type { ValidationCounters } from "./lib/engine/address_validation.ts";
export type { BroadcastStats } from "./lib/broadcast/broadcaster.ts";
export type { ReassemblyCounters } from "./lib/broadcast/reassembly.ts";
export type { DatagramLimitCounters } from "./lib/engine/datagram_limits.ts";
export {
  type MessageRecord,
  simAddress,
  Simulation,
  type SimulationOptions,
} from "./lib/sim/simulation.ts";
export { runScenario, type ScenarioOptions, type ScenarioResult } from "./lib/sim/scenario.ts";
export type { EngineCounters } from "./lib/engine/stats.ts";
export { type Prng, seededPrng } from "./lib/engine/prng.ts";
export {
  type BroadcastMode,
  DEFAULT_OPTIONS,
  type GossipOptions,
  type HistoryMode,
  maxPayloadSize,
  type ResolvedOptions,
  resolveOptions,
  type SamplingMode,
} from "./lib/options.ts";
export { lanOptions, localOptions, wanOptions } from "./lib/presets.ts";
export { GossipError, type GossipErrorCode } from "./lib/errors.ts";
export type { Packet, Transport } from "./lib/transport/transport.ts";
export {
  type ListenDatagram,
  type TransportStats,
  UdpTransport,
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
export { type KeyInfo, type KeyInput, Keyring, type RingKey } from "./lib/security/keyring.ts";
export { deriveKeyFromPassphrase, generateKey, parseKeyFile } from "./lib/security/key_material.ts";
export {
  SecureTransport,
  type SecureTransportOptions,
  type SecureTransportStats,
  type SecurityStats,
} from "./lib/security/secure_transport.ts";
export { type OpenReason, SEAL_OVERHEAD, type SealerOptions } from "./lib/security/sealer.ts";
export {
  OriginSignatureFilter,
  type SignatureFilterOptions,
  type SignatureReason,
  type SignatureStats,
  stripSignature,
} from "./lib/security/signature_filter.ts";
export {
  generateSigningKeyPair,
  SIGNATURE_BYTES,
  type SigningKeyPair,
} from "./lib/security/origin_signer.ts";
export {
  KEYGEN_USAGE,
  keygenCommand,
  type KeygenIo,
  loadKeyring,
} from "./lib/security/keygen_command.ts";
export { formatPrometheus, metricName, PROMETHEUS_CONTENT_TYPE } from "./lib/metrics/prometheus.ts";
export { type MetricsServer, serveMetrics } from "./lib/metrics/server.ts";
