/**
 * The set of message ids a node has already seen, bounded in entries.
 *
 * Ids are forgotten oldest-first. So that a forgotten id cannot be delivered a second time (a late
 * anti-entropy repair, a replay), forgetting `(origin, seq)` raises a per-origin floor: any id of
 * that origin with a sequence number at or below the floor counts as seen. The floor table is
 * bounded too; an origin whose floor is forgotten has not been heard of for a long time.
 *
 * @module
 */

import { type MessageId, originOf, seqOf } from "../wire/message_id.ts";

/** A bounded record of seen message ids. */
export class SeenSet {
  #ids = new Set<MessageId>();
  #floors = new Map<number, number>();
  #evictions = 0;

  /**
   * @param capacity Most ids kept individually.
   * @param maxOrigins Most per-origin floors kept.
   */
  constructor(readonly capacity: number, readonly maxOrigins: number = 65536) {}

  /** Ids held individually. */
  get size(): number {
    return this.#ids.size;
  }

  /** Ids forgotten to respect the bound. */
  get evictions(): number {
    return this.#evictions;
  }

  /** True when `id` was seen (or lies at or under its origin's floor). */
  has(id: MessageId): boolean {
    if (this.#ids.has(id)) return true;
    const floor = this.#floors.get(originOf(id));
    return floor !== undefined && seqOf(id) <= floor;
  }

  /** Records `id`; returns false when it was already seen. */
  add(id: MessageId): boolean {
    if (this.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.capacity) this.#evictOldest();
    return true;
  }

  #evictOldest(): void {
    const oldest = this.#ids.values().next().value as MessageId;
    this.#ids.delete(oldest);
    this.#evictions++;
    const origin = originOf(oldest);
    const seq = seqOf(oldest);
    const floor = this.#floors.get(origin);
    // Re-insert to keep the floor map in least-recently-raised order for its own bound.
    this.#floors.delete(origin);
    this.#floors.set(origin, floor === undefined ? seq : Math.max(floor, seq));
    if (this.#floors.size > this.maxOrigins) {
      this.#floors.delete(this.#floors.keys().next().value as number);
    }
  }
}
