/**
 * Messages kept so that peers can repair what they missed, bounded by entries, bytes and age.
 *
 * Insertion order is age order, so eviction always takes the oldest first. Every eviction is
 * counted by its cause.
 *
 * Payloads are copied into shared slabs ({@linkcode ByteSlab}), not `slice()`d: a node caches
 * every message it receives, and an ArrayBuffer of its own per message cost 2-7 µs (a malloc'd
 * backing store, then work for every young-generation collection), where a slab copy costs well
 * under 1 µs. Messages enter in time order and leave oldest first, so a slab's messages leave
 * together and a slab outlives its last message only by the messages stored after it.
 *
 * @module
 */

import { ByteSlab } from "../core/byte_slab.ts";
import { FifoQueue } from "../core/fifo_queue.ts";
import { type MessageId, originOf, seqOf } from "../wire/message_id.ts";

/** One slab for every cache of the process (a simulation runs thousands of engines). */
const payloads = new ByteSlab();

/** One cached message. */
export interface CachedMessage {
  id: MessageId;
  /** The id's origin and sequence number, taken apart once for digests. */
  origin: number;
  seq: number;
  flags: number;
  /** Hops the message had travelled when this node got it. */
  hops: number;
  payload: Uint8Array;
  /** When this node stored it (engine time, ms). */
  storedAt: number;
}

/** Bounds of a {@linkcode MessageCache}. */
export interface MessageCacheLimits {
  maxEntries: number;
  maxBytes: number;
  maxAgeMs: number;
}

/** A bounded id → message map, oldest evicted first. */
export class MessageCache {
  #entries = new Map<MessageId, CachedMessage>();
  /**
   * The same messages, oldest first. Eviction reads the oldest from here, not from the map's
   * iterator: a Map keeps its deleted slots until it rehashes, and a fresh iterator walks past
   * all of them, so at the entry bound each put cost one walk over thousands of holes.
   */
  #order = new FifoQueue<CachedMessage>();
  #bytes = 0;
  /** Evictions by cause. */
  readonly evicted = { entries: 0, bytes: 0, age: 0 };

  /** @param limits The bounds; a message larger than `maxBytes` is not cached at all. */
  constructor(readonly limits: MessageCacheLimits) {}

  /** Messages held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Payload bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The message with `id`, if held. */
  get(id: MessageId): CachedMessage | undefined {
    return this.#entries.get(id);
  }

  /** True when `id` is held. */
  has(id: MessageId): boolean {
    return this.#entries.has(id);
  }

  /** The held message `index` places after the oldest (0 is the oldest): for indexed loops. */
  at(index: number): CachedMessage | undefined {
    return this.#order.at(index);
  }

  /** All held messages, oldest first. */
  values(): IterableIterator<CachedMessage> {
    return this.#order.values();
  }

  /** All held ids, oldest first. */
  *ids(): IterableIterator<MessageId> {
    for (const entry of this.#order.values()) yield entry.id;
  }

  /** Stores a message (the payload is copied, so the caller's buffer can be reused). */
  put(id: MessageId, flags: number, hops: number, payload: Uint8Array, now: number): void {
    if (this.#entries.has(id) || payload.length > this.limits.maxBytes) return;
    const copy = payloads.copy(payload);
    const entry = {
      id,
      origin: originOf(id),
      seq: seqOf(id),
      flags,
      hops,
      payload: copy,
      storedAt: now,
    };
    this.#entries.set(id, entry);
    this.#order.push(entry);
    this.#bytes += payload.length;
    while (this.#entries.size > this.limits.maxEntries) this.#evictOldest("entries");
    while (this.#bytes > this.limits.maxBytes) this.#evictOldest("bytes");
  }

  /** Drops messages older than `maxAgeMs`. */
  expire(now: number): void {
    for (let oldest = this.#order.first(); oldest !== undefined; oldest = this.#order.first()) {
      if (now - oldest.storedAt < this.limits.maxAgeMs) break;
      this.#evictOldest("age");
    }
  }

  /** When the oldest message will expire, or Infinity when empty. */
  nextExpiry(): number {
    const oldest = this.#order.first();
    return oldest ? oldest.storedAt + this.limits.maxAgeMs : Infinity;
  }

  #evictOldest(cause: "entries" | "bytes" | "age"): void {
    const oldest = this.#order.shift();
    if (!oldest) return;
    this.#entries.delete(oldest.id);
    this.#bytes -= oldest.payload.length;
    this.evicted[cause]++;
  }
}
