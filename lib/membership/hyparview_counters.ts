/**
 * The counters of the HyParView membership (its handshake and exchange count into the same
 * object), reported by `Engine.stats().membership`.
 *
 * @module
 */

import type { HandshakeCounters } from "./neighbor_handshake.ts";
import type { ExchangeCounters } from "./shuffle_exchange.ts";

/** Counters of the HyParView part (its handshake and exchange count into the same object). */
export interface HyParViewCounters extends HandshakeCounters, ExchangeCounters {
  /** Frames that carried this node's own id (never taken as a peer). */
  ownIdFrames: number;
  /** PEERS frames that answered no JOIN of ours (ignored). */
  unsolicitedPeers: number;
  /** Neighbour links established. */
  linksUp: number;
  /** Neighbour links lost (any reason). */
  linksDown: number;
  /** Neighbours dropped to make room for a new link. */
  evictions: number;
  /** DISCONNECTs received from neighbours. */
  disconnectsReceived: number;
  /** Neighbours found to have restarted (new node id). */
  restartsDetected: number;
  /** JOIN, NEIGHBOR, SHUFFLE and PING_REQ frames refused from unproven addresses. */
  unprovenRefused: number;
  /** Rejoin attempts (lost neighbours and seeds). */
  rejoinAttempts: number;
}

/** A counters object with every counter at zero. */
export function createHyParViewCounters(): HyParViewCounters {
  return {
    joinsSent: 0,
    joinRedirects: 0,
    joinsReceived: 0,
    forwardJoins: 0,
    neighborRequests: 0,
    neighborAccepted: 0,
    neighborRejected: 0,
    neighborTimeouts: 0,
    linksUp: 0,
    linksDown: 0,
    evictions: 0,
    disconnectsReceived: 0,
    restartsDetected: 0,
    unprovenRefused: 0,
    shufflesSent: 0,
    shufflesReceived: 0,
    rejoinAttempts: 0,
    revived: 0,
    ownIdFrames: 0,
    shufflesRefused: 0,
    unsolicitedReplies: 0,
    unsolicitedPeers: 0,
  };
}
