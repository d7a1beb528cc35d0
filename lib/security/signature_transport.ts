/**
 * {@linkcode SignatureTransport}: the origin-signature check as a transport decorator, like the
 * sealing one. Every received datagram goes through an {@linkcode OriginSignatureFilter} on its
 * way up: data frames that are unsigned or wrongly signed are removed (counted in
 * `stats().signatures`, logged under `["starling", "security"]` at debug level), the datagram's
 * other frames go on. What is sent passes through untouched: the engine attaches signatures when
 * it publishes (`engine.reserveId()`, `engine.publishSigned()`) and strips them on delivery.
 *
 * The decorator sits under the sealing one's plain side (it reads plain datagrams), so a node
 * stacks socket → sealing → signatures → engine.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { transportStats } from "../transport/open_transport.ts";
import type { Packet, Transport, TransportStats } from "../transport/transport.ts";
import type { Address } from "../wire/address.ts";
import type { MessageId } from "../wire/message_id.ts";
import type { OriginSignatureFilter, SignatureStats } from "./signature_filter.ts";

const logger = getLogger(["starling", "security"]);

/** {@linkcode TransportStats} of the wrapped transport plus the signature counters. */
export interface SignatureTransportStats extends TransportStats {
  /** Signed, verified, skipped and dropped data frames. */
  signatures: SignatureStats;
}

/**
 * Checks the origin signatures of what a wrapped transport receives.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from "../transport/memory_transport.ts";
 * import { OriginSignatureFilter } from "./signature_filter.ts";
 * import { generateSigningKeyPair } from "./origin_signer.ts";
 * import { SignatureTransport } from "./signature_transport.ts";
 * const pair = await generateSigningKeyPair();
 * const filter = await OriginSignatureFilter.create({ acceptPublishers: [pair.publicKey] });
 * const transport = new SignatureTransport(new MemoryNetwork().open(), filter);
 * transport.seen = () => false; // a node asks its engine: engine.hasSeen(id)
 * if (transport.stats().signatures.verified !== 0) throw new Error("nothing yet");
 * await transport.close();
 * ```
 */
export class SignatureTransport implements Transport {
  readonly #inner: Transport;
  /** The signer and checker. */
  readonly filter: OriginSignatureFilter;
  /**
   * Whether the engine has accepted message `id` already: copies of it are duplicates the
   * engine drops, so they pass unverified (a signature is verified once per message id). The
   * node sets it to its engine's `hasSeen`. @default {() => false}
   */
  seen: (id: MessageId) => boolean = () => false;

  /**
   * Wraps `inner`; what it receives is checked by `filter`.
   *
   * @param inner The transport to wrap (the sealing decorator's, or a socket).
   * @param filter Signs and checks; with no accepted publishers nothing is checked.
   */
  constructor(inner: Transport, filter: OriginSignatureFilter) {
    this.#inner = inner;
    this.filter = filter;
  }

  /** The wrapped transport's address. */
  get localAddress(): Address {
    return this.#inner.localAddress;
  }

  /** What the wrapped transports add to each datagram (signatures are inside the payload). */
  get overhead(): number {
    return this.#inner.overhead ?? 0;
  }

  /** Sends through the wrapped transport. */
  send(to: Address, bytes: Uint8Array): Promise<void> {
    return this.#inner.send(to, bytes);
  }

  /** Sends through the wrapped transport without a promise (fire and forget). */
  post(to: Address, bytes: Uint8Array): void {
    if (this.#inner.post) this.#inner.post(to, bytes);
    else void this.#inner.send(to, bytes).catch(() => {});
  }

  /** The wrapped transport's datagrams, their failing data frames removed. */
  async *[Symbol.asyncIterator](): AsyncIterator<Packet> {
    for await (const packet of this.#inner) {
      const passed = await this.#check(packet);
      if (passed) yield passed;
    }
  }

  /** The wrapped transport's batches (or single datagrams), checked the same way. */
  async *batches(): AsyncIterable<readonly Packet[]> {
    const checking = this.filter.checking;
    if (!this.#inner.batches) {
      for await (const packet of this) yield [packet];
      return;
    }
    for await (const batch of this.#inner.batches()) {
      if (!checking) {
        yield batch;
        continue;
      }
      const passed: Packet[] = [];
      for (const packet of batch) {
        const checked = await this.#check(packet);
        if (checked) passed.push(checked);
      }
      if (passed.length > 0) yield passed;
    }
  }

  /** The wrapped transport's counters and the signature counters. */
  stats(): SignatureTransportStats {
    return { ...transportStats(this.#inner), signatures: this.filter.stats() };
  }

  /** Closes the wrapped transport. */
  close(): Promise<void> {
    return this.#inner.close();
  }

  async #check(packet: Packet): Promise<Packet | undefined> {
    if (!this.filter.checking) return packet;
    const bytes = await this.filter.filter(packet.bytes, this.seen);
    if (bytes === packet.bytes) return packet;
    logger.debug("Dropped data frames from {from}: unsigned or not signed by an accepted key", {
      from: packet.from,
    });
    return bytes === undefined ? undefined : { bytes, from: packet.from };
  }
}
