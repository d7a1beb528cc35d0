/**
 * The bounded queue between a socket's receive callback and the consumer iterating a transport.
 *
 * Callback-style sockets (node:dgram, the in-memory network) push packets here; the transport's
 * async iterator drains them. When the consumer falls behind, new packets are refused (the caller
 * counts the drop) rather than buffered without bound.
 *
 * @module
 */

import type { Packet } from "./transport.ts";

/** A bounded FIFO of packets with one waiting reader. */
export class PacketQueue {
  #items: (Packet | undefined)[] = [];
  #head = 0;
  #waiter: (() => void) | undefined;
  #closed = false;

  /** @param capacity Most packets held before `push` refuses. */
  constructor(readonly capacity: number) {}

  /** Packets waiting. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** True once {@linkcode PacketQueue.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Queues a packet; false when the queue is full or closed (the caller counts the drop). */
  push(packet: Packet): boolean {
    if (this.#closed || this.size >= this.capacity) return false;
    this.#items.push(packet);
    this.#wake();
    return true;
  }

  /** Drops what is queued and ends iteration. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#items = [];
    this.#head = 0;
    this.#wake();
  }

  /** Yields packets as they arrive until closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<Packet> {
    while (true) {
      if (this.#head < this.#items.length) {
        const packet = this.#items[this.#head]!;
        this.#items[this.#head++] = undefined;
        // Compact once the consumed prefix dominates, so dequeue stays O(1) amortised.
        if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
          this.#items = this.#items.slice(this.#head);
          this.#head = 0;
        }
        yield packet;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }

  /**
   * Yields everything queued at each wake-up as one batch (never empty) until closed; the
   * consumer pays one wake-up per burst instead of one per packet. `onBatch` sees each batch's
   * size just before it is handed out. A plain iterator rather than an async generator: one
   * promise per batch, which matters when traffic is sparse and most batches hold one packet.
   */
  batches(onBatch?: (size: number) => void): AsyncIterable<readonly Packet[]> {
    const next = (): Promise<IteratorResult<readonly Packet[]>> => {
      if (this.#head < this.#items.length) {
        const items = this.#items;
        // Consumed slots hold undefined only before #head, so the batch holds packets only.
        const batch = (this.#head === 0 ? items : items.slice(this.#head)) as Packet[];
        this.#items = [];
        this.#head = 0;
        onBatch?.(batch.length);
        return Promise.resolve({ value: batch, done: false });
      }
      if (this.#closed) return Promise.resolve({ value: undefined, done: true });
      return new Promise<void>((resolve) => (this.#waiter = resolve)).then(next);
    };
    const iterator: AsyncIterator<readonly Packet[]> = { next };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}
