/**
 * Mixed datagram limits: what each neighbour accepts, and telling neighbours what this node does.
 *
 * Every node accepts datagrams of at least {@linkcode LIMIT_FLOOR} bytes (the smallest
 * `maxDatagramSize` a mixed cluster supports), so that is what a peer is assumed to accept until
 * it says more. A node configured above the floor says so in a 3-byte DATAGRAM_LIMIT frame that
 * rides on datagrams already going to a peer: on first contact and again every
 * {@linkcode RETELL_MS} (a lost frame, or a peer that restarted on the same address, only costs
 * smaller datagrams meanwhile). A node at the floor sends nothing, so a uniform default cluster
 * spends not one byte on this.
 *
 * A claimed limit is untrusted: it is clamped to [512, 65,507] and believed only from an address
 * that proved it receives there (address validation), so a spoofed claim cannot make this node
 * send a victim datagrams it would drop. The table is bounded (least recently told forgotten).
 *
 * Limits here are the engine's: when a sealing layer adds `overhead` bytes to every datagram, the
 * wire value told is the engine's limit plus that overhead, and a value heard is reduced by it.
 *
 * @module
 */

import type { Address } from "../wire/address.ts";
import type { Frame } from "../wire/frame.ts";
import { FrameType } from "../wire/frame.ts";
import { MAX_UDP_PAYLOAD } from "../wire/codec.ts";

/** Datagram size (on the wire) every node accepts; the default `maxDatagramSize`. */
export const LIMIT_FLOOR = 512;
/** How often a peer is told this node's limit again while datagrams go to it. */
export const RETELL_MS = 5000;

/** Figures of a {@linkcode DatagramLimits}. */
export interface DatagramLimitCounters {
  /** DATAGRAM_LIMIT frames sent. */
  limitsTold: number;
  /** DATAGRAM_LIMIT frames believed. */
  limitsHeard: number;
  /** DATAGRAM_LIMIT frames ignored (from an unproven address). */
  limitsIgnored: number;
}

/** Per-destination datagram limits; see the module doc. */
export class DatagramLimits {
  /** The engine-level limit assumed for a peer that said nothing. */
  readonly floor: number;
  readonly counters: DatagramLimitCounters = { limitsTold: 0, limitsHeard: 0, limitsIgnored: 0 };
  // Made at first use: where every node keeps the floor limit nothing is told or heard.
  #peers: Map<Address, number> | undefined;
  #told: Map<Address, number> | undefined;
  readonly #frame: Frame;

  /**
   * @param own This engine's `maxDatagramSize`.
   * @param overhead Bytes a sealing layer adds to each datagram (0 when none).
   * @param maxEntries Peers remembered at most, in each of the two tables.
   */
  constructor(readonly own: number, readonly overhead: number, readonly maxEntries: number) {
    this.floor = Math.min(own, LIMIT_FLOOR - overhead);
    this.#frame = { type: FrameType.DatagramLimit, size: own + overhead };
  }

  /** The largest datagram to build for `to`. */
  limitFor(to: Address): number {
    const heard = this.#peers?.get(to);
    return heard === undefined ? this.floor : Math.min(this.own, heard);
  }

  /** A DATAGRAM_LIMIT frame from `from`; `proven` when its address passed validation. */
  onLimit(from: Address, size: number, proven: boolean): void {
    if (!proven) {
      this.counters.limitsIgnored++;
      return;
    }
    const clamped = Math.min(MAX_UDP_PAYLOAD, Math.max(LIMIT_FLOOR, size)) - this.overhead;
    remember(this.#peers ??= new Map(), from, clamped, this.maxEntries);
    this.counters.limitsHeard++;
  }

  /** `peer` has not believed our limit (it challenged our address): tell it again next time. */
  forget(peer: Address): void {
    this.#told?.delete(peer);
  }

  /**
   * Adds this node's limit to what goes to each of `destinations` not told within
   * {@linkcode RETELL_MS}; nothing at all when this node's limit is the floor.
   */
  tell(destinations: Iterable<Address>, push: (to: Address, frame: Frame) => void, now: number) {
    if (this.own <= LIMIT_FLOOR - this.overhead) return;
    const told = this.#told ??= new Map();
    for (const to of destinations) {
      const last = told.get(to);
      if (last !== undefined && now - last < RETELL_MS) continue;
      remember(told, to, now, this.maxEntries);
      push(to, this.#frame);
      this.counters.limitsTold++;
    }
  }
}

/** Sets `key` as the newest entry of `map`, forgetting the oldest past `max`. */
function remember<V>(map: Map<Address, V>, key: Address, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}
