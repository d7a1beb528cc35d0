/**
 * {@linkcode EngineStats}: the snapshot `engine.stats()` returns, assembled from the engine's
 * parts (counters, membership, broadcast, datagram limits, address validation).
 *
 * @module
 */

import type { Broadcaster, BroadcastStats } from "../broadcast/broadcaster.ts";
import type { ReassemblyCounters } from "../broadcast/reassembly.ts";
import type { Membership, MembershipStats } from "../membership/membership.ts";
import { FrameType } from "../wire/frame.ts";
import type { AddressValidation, ValidationCounters } from "./address_validation.ts";
import type { DatagramLimitCounters, DatagramLimits } from "./datagram_limits.ts";
import type { Outbox } from "../core/outbox.ts";
import type { EngineCounters } from "../core/stats.ts";

/** A snapshot of an engine's counters and table sizes. */
export interface EngineStats extends EngineCounters {
  /** This incarnation's node id. */
  nodeId: number;
  /** Peers known. */
  peers: number;
  /** Membership figures (view sizes, joins, evictions, probes). */
  membership: MembershipStats;
  /** Broadcast figures (tree links, prunes, grafts, ACKs, pending tables). */
  broadcast: BroadcastStats;
  /** Messages in the repair cache. */
  cacheEntries: number;
  /** Payload bytes in the repair cache. */
  cacheBytes: number;
  /** Cache evictions by cause. */
  cacheEvicted: { entries: number; bytes: number; age: number };
  /** Ids in the seen set. */
  seenEntries: number;
  /** Ids forgotten by the seen set. */
  seenEvicted: number;
  /** Chunked messages: reassembly figures and buffer (see lib/broadcast/reassembly.ts). */
  chunks: ReassemblyCounters & { partialMessages: number; partialBytes: number };
  /** Mixed datagram limits told and heard (see datagram_limits.ts). */
  datagramLimits: DatagramLimitCounters;
  /** Address validation and the anti-amplification limit (see address_validation.ts). */
  validation: ValidationCounters & { validAddresses: number };
  /** Runs of forgotten ids the seen set dropped for its per-origin bound (see seen_set.ts). */
  seenRunsForgotten: number;
}

/** Frame type names by code. */
const FRAME_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(FrameType).map(([name, type]) => [type, name]),
);
/** Per-type frame counts live in an array indexed by type code (the decoder knows every code). */
const FRAME_TYPE_CODES = Math.max(...Object.values(FrameType)) + 1;

/** Per-type frame counts, indexed by type code (the decoder knows every code). */
export function frameCounts(): Uint32Array {
  return new Uint32Array(FRAME_TYPE_CODES);
}

/** @internal The engine's parts a snapshot is made of. */
export interface EngineParts {
  counters: EngineCounters;
  framesByType: Uint32Array;
  nodeId: number;
  now: number;
  outbox: Outbox;
  membership: Membership;
  broadcast: Broadcaster;
  limits: DatagramLimits;
  validation: AddressValidation;
}

/** @internal A snapshot of `parts`. */
export function engineStats(parts: EngineParts): EngineStats {
  const { counters: c, broadcast, membership, validation } = parts;
  const cache = broadcast.cache;
  const dropped = { ...c.dropped };
  if (parts.outbox.unencodable > 0) dropped.unencodable = parts.outbox.unencodable;
  const refused = validation.counters.refusedFrames;
  if (refused > 0) dropped.amplification_limit = refused;
  return {
    ...c,
    framesInByType: framesInByType(c, parts.framesByType),
    dropped,
    nodeId: parts.nodeId,
    peers: membership.knownPeers().length,
    membership: membership.stats(),
    broadcast: broadcast.stats(parts.now),
    cacheEntries: cache.size,
    cacheBytes: cache.bytes,
    cacheEvicted: { ...cache.evicted },
    seenEntries: broadcast.seen.size,
    seenEvicted: broadcast.seen.evictions,
    chunks: {
      ...broadcast.reassembly.counters,
      partialMessages: broadcast.reassembly.size,
      partialBytes: broadcast.reassembly.bytes,
    },
    datagramLimits: { ...parts.limits.counters },
    validation: { ...validation.counters, validAddresses: validation.validCount },
    seenRunsForgotten: broadcast.seen.runsForgotten,
  };
}

function framesInByType(c: EngineCounters, counts: Uint32Array): Record<string, number> {
  const byType: Record<string, number> = { ...c.framesInByType };
  for (let type = 0; type < counts.length; type++) {
    if (counts[type] === 0) continue;
    const name = FRAME_NAMES[type]!;
    byType[name] = (byType[name] ?? 0) + counts[type]!;
  }
  return byType;
}
