/**
 * The options and statistics types of a {@linkcode GossipNode}, and the checks of its own options.
 *
 * @module
 */

import type { Discovery } from "../discovery/discovery.ts";
import type { DnsResolver } from "../discovery/resolve.ts";
import type { EngineStats } from "../engine/engine.ts";
import type { Prng } from "../core/prng.ts";
import { checkOptionsObject, checkOptionType } from "../argument_checks.ts";
import { NODE_DEFAULTS } from "../defaults.ts";
import { GossipError } from "../errors.ts";
import { type NodeSecurityOptions, SECURITY_KEYS } from "./security.ts";
import type { GossipOptions } from "../options.ts";
import type { SecurityStats } from "../security/secure_transport.ts";
import type { SignatureStats } from "../security/signature_filter.ts";
import type { Transport } from "../transport/transport.ts";
import type { TransportStats } from "../transport/udp_transport.ts";
import type { Address } from "../wire/address.ts";

/** Options of {@linkcode GossipNode.start}: the protocol options plus the node's I/O. */
export interface NodeOptions extends GossipOptions, NodeSecurityOptions {
  /** Where to bind UDP, `"host:port"`; port 0 picks a free one. @default {"127.0.0.1:0"} */
  listen?: Address;
  /** A transport to run on instead of binding one (in-memory, lossy, sealed...). */
  transport?: Transport;
  /** Where to find peers besides `seeds`; asked at start and every `discoveryIntervalMs`. */
  discovery?: Discovery | Discovery[];
  /** Period of rediscovery, so partitions heal and replaced peers are found. @default {10000} */
  discoveryIntervalMs?: number;
  /** Seed of the protocol's random choices; random when omitted. */
  seed?: number;
  /** Random source of the protocol; overrides `seed`. */
  rng?: Prng;
  /** Node id (40 bits) to use instead of a random one. */
  nodeId?: number;
  /**
   * Messages each `messages()` iterator buffers for a slow reader; the oldest is dropped (and
   * counted in `stats().node.messagesDropped`) when full. @default {1024}
   */
  messageQueueSize?: number;
  /** DNS lookups of seed and discovered host names. @default {Deno.resolveDns} */
  resolver?: DnsResolver;
  /**
   * A directory where the node keeps per-origin delivery marks across restarts (lib/node/state.ts),
   * so a restarted node never delivers a message twice. Needs read and write permission on it.
   * Without it, `history: "none"` still keeps a restarted node from delivering what was
   * published before it joined, learned from the cluster at join time. @default {undefined}
   */
  stateDir?: string;
}

/** Counters of the node itself (the engine and transport have their own). */
export interface NodeCounters {
  /** Messages handed to listeners and iterators. */
  delivered: number;
  /** Messages dropped from full `messages()` queues. */
  messagesDropped: number;
  /** Discovery rounds run. */
  discoveryRounds: number;
  /** Candidates handed to the engine by discovery, over all rounds. */
  discovered: number;
  /** Attempts to resolve seeds whose host names did not resolve at start. */
  seedRetries: number;
  /** Errors thrown by {@linkcode GossipNode.onMessage} handlers (logged, never propagated). */
  listenerErrors: number;
  /** Failed writes of the state directory's delivery marks (logged). */
  stateWriteErrors: number;
}

/** The transport counters in {@linkcode NodeStats}, with the sealing layer's when it is on. */
export interface NodeTransportStats extends TransportStats {
  /** Sealing, label, replay and rate-limit counters; present when `keys` or `label` is set. */
  security?: SecurityStats;
}

/** Everything {@linkcode GossipNode.stats} reports. */
export interface NodeStats {
  /** The engine's protocol counters. */
  engine: EngineStats;
  /** The transport's socket counters (and the sealing layer's, when on). */
  transport: NodeTransportStats;
  /** Signature counters; present when `signing` or `acceptPublishers` is set. */
  signatures?: SignatureStats;
  /** The node's own counters. */
  node: NodeCounters;
  /** Peers the engine currently knows. */
  peers: number;
  /** Milliseconds since the node started. */
  uptimeMs: number;
}

/** @internal Checks the node's own options. @throws {GossipError} `invalid_option`. */
export function validateNodeOptions(options: NodeOptions): void {
  checkOptionsObject(options, "options of GossipNode.start()");
  checkOptionType("listen", options.listen, "string", '"127.0.0.1:7946"');
  checkOptionType("seeds", options.seeds, "string[]", '["10.0.0.1:7946"]');
  checkOptionType("transport", options.transport, "object", "a MemoryNetwork's open()");
  checkOptionType("seed", options.seed, "number", "42");
  checkOptionType("stateDir", options.stateDir, "string", '"/var/lib/starling"');
  checkOptionType("rng", options.rng, "function", "seededPrng(42)");
  checkOptionType(
    "resolver",
    options.resolver,
    "function",
    "(name, type) => Deno.resolveDns(name, type)",
  );
  if (options.discovery !== undefined) {
    const list = Array.isArray(options.discovery) ? options.discovery : [options.discovery];
    for (const source of list) {
      checkOptionType("discovery", source, "object", 'parseDiscovery("dns:peers.local:7946")');
    }
  }
  if (
    options.nodeId !== undefined &&
    (!Number.isInteger(options.nodeId) || options.nodeId < 0 || options.nodeId >= 2 ** 40)
  ) {
    throw new GossipError(
      "invalid_option",
      `Invalid option nodeId: ${String(options.nodeId)} is not a whole number from 0 to 2^40 - 1`,
    );
  }
  const interval = options.discoveryIntervalMs ?? NODE_DEFAULTS.discoveryIntervalMs;
  if (!Number.isInteger(interval) || interval < 10) {
    throw new GossipError(
      "invalid_option",
      `Invalid option discoveryIntervalMs: ${interval} is not a whole number of at least 10`,
    );
  }
  validateRateLimit(options);
  const queueSize = options.messageQueueSize ?? NODE_DEFAULTS.messageQueueSize;
  if (!Number.isInteger(queueSize) || queueSize < 1) {
    throw new GossipError(
      "invalid_option",
      `Invalid option messageQueueSize: ${queueSize} is not a whole number of at least 1`,
    );
  }
}

/** Checks `rateLimit`: an object of numbers of at least 1, and only where something is sealed. */
function validateRateLimit(options: NodeOptions): void {
  const limit = options.rateLimit;
  if (limit === undefined) return;
  checkOptionType("rateLimit", limit, "object", "{ ratePerSecond: 500, burst: 1000 }");
  for (const name of ["ratePerSecond", "burst", "maxSources"] as const) {
    const value = limit[name];
    if (
      value !== undefined && !(typeof value === "number" && Number.isFinite(value) && value >= 1)
    ) {
      throw new GossipError(
        "invalid_option",
        `Invalid option rateLimit.${name}: ${String(value)} is not a number of at least 1`,
      );
    }
  }
  if (options.keys === undefined && options.label === undefined) {
    throw new GossipError(
      "invalid_option",
      "Invalid option rateLimit: the rate limit runs in the sealing layer; set keys or label too",
    );
  }
}

/** @internal The protocol options within `options` (the node's own removed). */
export function pickGossipOptions(options: NodeOptions): GossipOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!NODE_KEYS.has(key) && value !== undefined) out[key] = value;
  }
  return out as GossipOptions;
}

const NODE_KEYS = new Set([
  ...SECURITY_KEYS,
  "listen",
  "transport",
  "discovery",
  "discoveryIntervalMs",
  "seed",
  "rng",
  "nodeId",
  "messageQueueSize",
  "resolver",
  "seeds",
  "stateDir",
]);
