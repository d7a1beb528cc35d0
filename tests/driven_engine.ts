/**
 * Test helper: an {@linkcode Engine} whose output batch is carried out into callbacks right after
 * every input, for tests that wire engines by hand and want to see datagrams as they leave.
 *
 * @module
 */

import { type Delivery, Engine, type EngineOptions, type PeerEvent } from "../lib/engine/engine.ts";
import type { Address } from "../lib/wire/address.ts";

/** Where a driven engine's outputs go. */
export interface EngineCallbacks {
  send?(to: Address, datagram: Uint8Array): void;
  deliver?(message: Delivery): void;
  peer?(event: PeerEvent): void;
}

class DrivenEngine extends Engine {
  constructor(options: EngineOptions, readonly callbacks: EngineCallbacks) {
    super(options);
  }

  override start(now: number): void {
    super.start(now);
    this.#drain();
  }

  override publish(data: Uint8Array, now: number, flags?: number) {
    const id = super.publish(data, now, flags);
    this.#drain();
    return id;
  }

  override publishSigned(
    id: bigint,
    data: Uint8Array,
    signature: Uint8Array,
    now: number,
    flags?: number,
  ) {
    const published = super.publishSigned(id, data, signature, now, flags);
    this.#drain();
    return published;
  }

  override receive(bytes: Uint8Array, from: Address, now: number): void {
    super.receive(bytes, from, now);
    this.#drain();
  }

  override receiveBatch(packets: readonly { bytes: Uint8Array; from: Address }[], now: number) {
    super.receiveBatch(packets, now);
    this.#drain();
  }

  override tick(now: number): number {
    const next = super.tick(now);
    this.#drain();
    return next;
  }

  override addSeeds(addresses: readonly Address[], now: number): void {
    super.addSeeds(addresses, now);
    this.#drain();
  }

  #drain(): void {
    const ready = this.ready();
    const { send, deliver, peer } = this.callbacks;
    // Copies: a callback may call this engine again, which renews the batch.
    const to = ready.to.slice(), datagrams = ready.datagrams.slice();
    const deliveries = ready.deliveries.slice(), events = ready.peerEvents.slice();
    for (const message of deliveries) deliver?.(message);
    for (const event of events) peer?.(event);
    for (let i = 0; i < to.length; i++) send?.(to[i]!, datagrams[i]!);
  }
}

/** A new engine whose outputs go to `callbacks` after every input. */
export function drivenEngine(options: EngineOptions, callbacks: EngineCallbacks = {}): Engine {
  return new DrivenEngine(options, callbacks);
}
