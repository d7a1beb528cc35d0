/**
 * The helper's side of indirect probing: a PING-REQ makes this node PING the target on the
 * requester's behalf (with the "indirect" bit set, so the target does not take it for a would-be
 * neighbour) and pass the PONG back with the requester's value, or, when the requester asked for
 * one, send a NACK after one probe timeout if the target stayed silent (Lifeguard). The table is
 * small and bounded; a full table refuses new requests (counted).
 *
 * Pure: time comes from the `now` arguments.
 *
 * @module
 */

import type { Address } from "../wire/address.ts";
import { noEntries, ownMap } from "../core/no_entries.ts";

/** Bit set in a PING/PONG value when the ping is sent on someone else's behalf. */
export const INDIRECT_BIT = 0x8000_0000;
/** Bit set in a PING-REQ value when the requester wants a NACK if the target stays silent. */
export const NACK_BIT = 0x4000_0000;
/** Probe sequence numbers stay below the flag bits. */
export const SEQ_MASK = 0x3fff_ffff;
/** Relay entries a helper keeps at most. */
const MAX_RELAYS = 64;

interface Relay {
  requester: Address;
  /** The requester's PING-REQ value, handed back with the PONG or the NACK. */
  value: number;
  expires: number;
  /** When to NACK if the target stays silent; Infinity when the requester did not ask. */
  nackAt: number;
}

/** Counters of the relays. */
export interface RelayCounters {
  /** PINGs sent for other nodes (as a helper). */
  relayed: number;
  /** PING-REQs refused because the relay table was full. */
  relayDropped: number;
  /** NACKs sent as a helper. */
  nacksSent: number;
}

/** Probes run for other nodes. */
export class ProbeRelays {
  // Made at the first relay (see no_entries.ts).
  #relays: Map<number, Relay> = noEntries();
  #seq = 0;

  /**
   * @param timeoutMs How long the target has to answer a relayed PING.
   * @param counters Where to count (shared with the detector's counters).
   * @param nack Sends a NACK with the requester's value.
   */
  constructor(
    readonly timeoutMs: number,
    readonly counters: RelayCounters,
    readonly nack: (requester: Address, value: number) => void,
  ) {}

  /** Relays in flight. */
  get size(): number {
    return this.#relays.size;
  }

  /**
   * A PING-REQ from `requester` with `value`. Returns the PING value to send to the target, or
   * undefined when the relay table is full.
   */
  start(requester: Address, value: number, now: number): number | undefined {
    if (this.#relays.size >= MAX_RELAYS) {
      this.#expire(now);
      if (this.#relays.size >= MAX_RELAYS) {
        this.counters.relayDropped++;
        return undefined;
      }
    }
    do {
      this.#seq = (this.#seq + 1) & SEQ_MASK;
    } while (this.#seq === 0 || this.#relays.has(this.#seq));
    this.#relays = ownMap(this.#relays);
    this.#relays.set(this.#seq, {
      requester,
      value,
      expires: now + 3 * this.timeoutMs,
      nackAt: (value & NACK_BIT) !== 0 ? now + this.timeoutMs : Infinity,
    });
    this.counters.relayed++;
    return this.#seq | INDIRECT_BIT;
  }

  /** The target answered our relayed PING; where to send the PONG, if anywhere. */
  finish(value: number): { requester: Address; seq: number } | undefined {
    if ((value & INDIRECT_BIT) === 0) return undefined;
    const key = value & SEQ_MASK;
    const relay = this.#relays.get(key);
    if (!relay) return undefined;
    this.#relays.delete(key);
    return { requester: relay.requester, seq: relay.value };
  }

  /** NACKs relays whose target stayed silent, forgets expired ones; returns the next NACK time. */
  run(now: number): number {
    let next = Infinity;
    for (const [key, relay] of this.#relays) {
      if (relay.nackAt <= now) {
        this.#relays.delete(key);
        this.counters.nacksSent++;
        this.nack(relay.requester, relay.value);
      } else if (relay.expires <= now) {
        this.#relays.delete(key);
      } else {
        next = Math.min(next, relay.nackAt);
      }
    }
    return next;
  }

  #expire(now: number): void {
    for (const [key, relay] of this.#relays) if (relay.expires <= now) this.#relays.delete(key);
  }
}
