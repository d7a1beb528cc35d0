/**
 * Address validation and the anti-amplification limit: a node never sends an address that has
 * not proven it receives there more bytes in reply than it received from it.
 *
 * Any datagram may carry a spoofed source. Before this limit, a 4-byte DIGEST from a forged
 * address made a node push 934x that many bytes of cached payloads to it, which made every node a
 * DDoS reflector. The design borrows from QUIC's address validation (RFC 9000 section 8: at most
 * a bounded multiple of what was received goes to an unvalidated address, and a token the peer
 * must echo proves the address) and from DNS cookies (RFC 7873: the token is a keyed hash of the
 * client address, so the server keeps no state per stranger):
 *
 * - Every datagram to an unvalidated address carries a COOKIE challenge: a 32-bit keyed hash of
 *   that address and the current minute, under a secret drawn at start. A node that receives a
 *   challenge echoes it in its next datagram to the sender; a correct echo (this or the previous
 *   minute's) validates the address. Honest peers validate each other in their first round trip.
 * - Replies (frames queued for the address whose datagram is being handled) to an unvalidated
 *   address fit within the bytes received from it and not yet spent: credit, 1x. What does not
 *   fit is dropped and counted (`amplification_limit`); the protocols retry after validation.
 * - Contacts this node starts itself (a JOIN, a NEIGHBOR request, a probe, a shuffle) are padded
 *   to {@linkcode CONTACT_PAD_TO} bytes when the address is not validated, so that the answer,
 *   its challenge and its echo fit in the receiver's credit.
 *
 * Bounds: validated addresses, credits and owed echoes are least-recently-used tables of
 * `capacity` entries each; an address pushed out simply has to validate again.
 *
 * @module
 */

import type { Address } from "../wire/address.ts";
import { frameSize } from "../wire/codec.ts";
import { type Frame, FrameType } from "../wire/frame.ts";
import type { Prng } from "../core/prng.ts";
import { LruTable } from "../core/lru_table.ts";
import { noMembers, ownSet } from "../core/no_entries.ts";

/** First-contact datagrams to unvalidated addresses are padded to this many bytes. */
export const CONTACT_PAD_TO = 64;
/** A cookie is good for this long, and for one period more (ms). */
export const COOKIE_PERIOD_MS = 60_000;

/** Counters of address validation. */
export interface ValidationCounters {
  /** Addresses that echoed a correct cookie. */
  validated: number;
  /** Echoes that did not match (stale, forged or from another node). */
  badEchoes: number;
  /** Reply frames not sent to an unvalidated address for lack of credit. */
  refusedFrames: number;
  /** Reply bytes not sent to an unvalidated address for lack of credit. */
  refusedBytes: number;
  /** Bytes sent in reply to unvalidated addresses. */
  unvalidatedBytesOut: number;
  /** Bytes received from unvalidated addresses. */
  unvalidatedBytesIn: number;
}

/** Which addresses proved they receive, and what may be sent to those that did not. */
export class AddressValidation {
  readonly #secret: number;
  // A Set (oldest first): looked up for every datagram in and out, and changed only when an
  // address validates. (A Map to `true` held a third more per entry: a busy node in a 10,000-node
  // simulation validates hundreds of addresses.)
  #valid: Set<Address> = noMembers();
  // LruTables, not Maps: these are emptied and refilled at every new contact (see lru_table.ts).
  readonly #credit: LruTable<number>;
  readonly #owedEcho: LruTable<number>;
  /** What validation did so far. */
  readonly counters: ValidationCounters = {
    validated: 0,
    badEchoes: 0,
    refusedFrames: 0,
    refusedBytes: 0,
    unvalidatedBytesOut: 0,
    unvalidatedBytesIn: 0,
  };

  /**
   * @param rng Source of the cookie secret.
   * @param capacity Entries per table (validated, credits, owed echoes).
   */
  constructor(rng: Prng, readonly capacity = 4096) {
    this.#secret = Math.floor(rng() * 2 ** 32) >>> 0;
    this.#credit = new LruTable(capacity);
    this.#owedEcho = new LruTable(capacity);
  }

  /** Addresses validated and remembered. */
  get validCount(): number {
    return this.#valid.size;
  }

  /** True when `address` has echoed one of this node's cookies. */
  isValid(address: Address): boolean {
    return this.#valid.has(address);
  }

  /** The cookie for `address` in the period of `now` (`back` periods earlier). */
  cookie(address: Address, now: number, back = 0): number {
    const period = Math.floor(now / COOKIE_PERIOD_MS) - back;
    let h = (this.#secret ^ Math.imul(period, 0x9e3779b1)) >>> 0;
    for (let i = 0; i < address.length; i++) {
      h = Math.imul(h ^ address.charCodeAt(i), 0x01000193);
    }
    // Final avalanche (murmur3's) so nearby addresses get unrelated cookies.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }

  /** A datagram of `bytes` arrived from `from`: it may be answered with as many. */
  received(from: Address, bytes: number): void {
    if (this.#valid.has(from)) return;
    this.counters.unvalidatedBytesIn += bytes;
    this.#credit.touch(from, (this.#credit.get(from) ?? 0) + bytes);
  }

  /** A COOKIE frame arrived from `from`. Returns true when it was a challenge. */
  onCookie(echo: boolean, value: number, from: Address, now: number): boolean {
    if (!echo) {
      this.#owedEcho.touch(from, value);
      return true;
    }
    if (value === this.cookie(from, now) || value === this.cookie(from, now, 1)) {
      if (!this.#valid.has(from)) this.counters.validated++;
      this.#valid.delete(from);
      (this.#valid = ownSet(this.#valid)).add(from);
      if (this.#valid.size > this.capacity) {
        this.#valid.delete(this.#valid.values().next().value as Address);
      }
      this.#credit.delete(from);
    } else {
      this.counters.badEchoes++;
    }
    return false;
  }

  /**
   * The frames to send `to` in place of `frames`: an owed echo first; to an unvalidated address a
   * challenge too, and then either everything padded (`reply` false: a contact of our own) or
   * what fits in the credit (`reply` true).
   */
  gate(to: Address, frames: Frame[], reply: boolean, now: number): Frame[] {
    const echo = this.#owedEcho.get(to);
    if (this.#valid.has(to)) {
      if (echo === undefined) return frames;
      this.#owedEcho.delete(to);
      return [{ type: FrameType.Cookie, echo: true, value: echo }, ...frames];
    }
    const out: Frame[] = [];
    let size = 1; // the version byte
    let budget = reply ? (this.#credit.get(to) ?? 0) : Infinity;
    const add = (frame: Frame): boolean => {
      const bytes = frameSize(frame);
      if (size + bytes > budget) return false;
      out.push(frame);
      size += bytes;
      return true;
    };
    if (echo !== undefined && add({ type: FrameType.Cookie, echo: true, value: echo })) {
      this.#owedEcho.delete(to);
    }
    add({ type: FrameType.Cookie, echo: false, value: this.cookie(to, now) });
    for (const frame of frames) {
      if (!add(frame)) {
        this.counters.refusedFrames++;
        this.counters.refusedBytes += frameSize(frame);
      }
    }
    if (!reply && size < CONTACT_PAD_TO) {
      out.push({ type: FrameType.Pad, length: CONTACT_PAD_TO - size - 2 });
      size = CONTACT_PAD_TO;
    }
    if (reply) {
      this.counters.unvalidatedBytesOut += size;
      budget -= size;
      if (budget > 0) this.#credit.touch(to, budget);
      else this.#credit.delete(to);
    }
    return out;
  }
}
