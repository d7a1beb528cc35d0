/**
 * The failure detector's counters (reported in `stats().membership`).
 *
 * @module
 */

/** Counters of the detector. */
export interface DetectorCounters {
  /** Direct PINGs sent. */
  probes: number;
  /** PING-REQs sent. */
  indirectProbes: number;
  /** Peers that missed the direct PONG and went to the indirect phase. */
  suspicions: number;
  /** Peers past the direct phase that turned out alive (indirectly or by refuting). */
  refuted: number;
  /** Peers that missed the indirect round too and entered the suspicion stage. */
  suspected: number;
  /** Suspicions ended by the suspect's ALIVE or a PONG. */
  suspicionsRefuted: number;
  /** Suspicion notices sent. */
  notices: number;
  /** NACKs received from helpers asked (confirmations). */
  confirmations: number;
  /** Relayed PONGs not accepted as refutation (too many in a row). */
  relayRefutationsRefused: number;
  /** Peers declared dead. */
  deaths: number;
  /** PINGs sent for other nodes (as a helper). */
  relayed: number;
  /** PING-REQs refused because the relay table was full. */
  relayDropped: number;
  /** NACKs sent as a helper. */
  nacksSent: number;
  /** The local health score (0 healthy, up to 7): probe timing is multiplied by 1 + this. */
  localHealth: number;
}

/** Zeroed detector counters. */
export function createDetectorCounters(): DetectorCounters {
  return {
    probes: 0,
    indirectProbes: 0,
    suspicions: 0,
    refuted: 0,
    suspected: 0,
    suspicionsRefuted: 0,
    notices: 0,
    confirmations: 0,
    relayRefutationsRefused: 0,
    deaths: 0,
    relayed: 0,
    relayDropped: 0,
    nacksSent: 0,
    localHealth: 0,
  };
}
