/**
 * Counters and their Prometheus rendering: the types of everything `GossipNode.stats()` reports
 * (engine, membership, broadcast, address validation, transport, sealing and signature
 * counters), {@linkcode formatPrometheus} that renders them in the Prometheus text format, and
 * {@linkcode serveMetrics} that serves them over HTTP at `/metrics`.
 *
 * @example Serve a node's counters to Prometheus
 * ```ts
 * import { GossipNode } from "@starling/gossip";
 * import { formatPrometheus, serveMetrics } from "@starling/gossip/metrics";
 *
 * await using node = await GossipNode.start({ listen: "127.0.0.1:0" });
 * console.log(formatPrometheus(node.stats()).split("\n").length, "lines");
 * const server = serveMetrics("127.0.0.1:0", () => node.stats());
 * console.log(`curl http://${server.address}/metrics`);
 * await server.close();
 * ```
 *
 * @module
 */

export { formatPrometheus, metricName, PROMETHEUS_CONTENT_TYPE } from "./lib/metrics/prometheus.ts";
export { type MetricsServer, serveMetrics } from "./lib/metrics/server.ts";
export type { NodeCounters, NodeStats, NodeTransportStats } from "./lib/node/node.ts";
export type { EngineStats } from "./lib/engine/engine.ts";
export type { EngineCounters } from "./lib/core/stats.ts";
export type { MembershipStats } from "./lib/membership/membership.ts";
export type { BroadcastStats } from "./lib/broadcast/broadcaster.ts";
export type { ValidationCounters } from "./lib/engine/address_validation.ts";
export type { ReassemblyCounters } from "./lib/broadcast/reassembly.ts";
export type { DatagramLimitCounters } from "./lib/engine/datagram_limits.ts";
export type { TransportStats } from "./lib/transport/udp_transport.ts";
export type { SecurityStats } from "./lib/security/secure_transport.ts";
export type { SignatureStats } from "./lib/security/signature_filter.ts";
