/**
 * The bounded queue behind `GossipNode.messages()` and `messageBatches()`: one per reader.
 *
 * Overload policy: a reader that falls behind holds at most `capacity` messages; when one more
 * arrives, the oldest queued message is dropped (the freshest are usually the most useful, and
 * dropping at the head keeps the wait of what is delivered bounded). Every drop is counted by
 * the node (`stats().node.messagesDropped`, Prometheus `starling_node_messages_dropped_total`).
 * A dropped message is not offered again: the engine has already recorded it as seen.
 *
 * @module
 */

import type { Delivery } from "./engine/engine.ts";

/** @internal An async iterator fed by the node; drops the oldest entry when full. */
export class DeliveryQueue implements AsyncIterableIterator<Delivery> {
  #items: Delivery[] = [];
  #head = 0;
  #capacity: number;
  #waiter: ((result: IteratorResult<Delivery>) => void) | undefined;
  #batchWaiter: ((batch: Delivery[]) => void) | undefined;
  #ended = false;
  #onEnd: (queue: DeliveryQueue) => void;

  /**
   * Creates an empty queue.
   *
   * @param capacity Entries kept for a slow reader.
   * @param onEnd Called once when the reader leaves or the queue is ended.
   */
  constructor(capacity: number, onEnd: (queue: DeliveryQueue) => void) {
    this.#capacity = capacity;
    this.#onEnd = onEnd;
  }

  /** Adds a delivery; returns false when the oldest one had to be dropped for it. */
  push(delivery: Delivery): boolean {
    if (this.#ended) return true;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter({ value: delivery, done: false });
      return true;
    }
    const batchWaiter = this.#batchWaiter;
    if (batchWaiter) {
      // Resolve on a later microtask with everything queued by then, so one synchronous burst
      // of deliveries becomes one batch.
      this.#batchWaiter = undefined;
      this.#items.push(delivery);
      queueMicrotask(() => batchWaiter(this.#take()));
      return true;
    }
    this.#items.push(delivery);
    if (this.#items.length - this.#head > this.#capacity) {
      this.#head++;
      this.#compact();
      return false;
    }
    return true;
  }

  /** Ends iteration; a waiting `next()` resolves as done. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#items = [];
    this.#head = 0;
    this.#onEnd(this);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
    const batchWaiter = this.#batchWaiter;
    this.#batchWaiter = undefined;
    batchWaiter?.([]);
  }

  /** Messages queued now. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Everything queued (waiting for at least one message if none is); an empty batch means the
   * queue has ended. Lets a reader that writes somewhere slow (a pipe) take a whole backlog per
   * write instead of one message per write.
   */
  nextBatch(): Promise<Delivery[]> {
    if (this.length > 0) return Promise.resolve(this.#take());
    if (this.#ended) return Promise.resolve([]);
    return new Promise((resolve) => (this.#batchWaiter = resolve));
  }

  #take(): Delivery[] {
    const batch = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return batch;
  }

  /** The next delivery, waiting for one if none is queued. */
  next(): Promise<IteratorResult<Delivery>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head++]!;
      this.#compact();
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  /** Leaves the iteration (a `break` out of `for await`). */
  return(): Promise<IteratorResult<Delivery>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** This iterator. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Delivery> {
    return this;
  }

  #compact(): void {
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
