/**
 * The one bounded async queue of starling: a FIFO between a producer that must never wait (a
 * socket's receive callback, the engine's deliveries) and one consumer that iterates it, one
 * item or one whole backlog at a time.
 *
 * When the consumer falls behind, the queue holds at most `capacity` items and loses one by its
 * overflow policy; `push` returns false whenever an item was lost, so the caller counts it:
 * - `"refuse-newest"` (transports): the new packet is refused. Under a flood the queue keeps
 *   what it already accepted, so a burst of junk cannot push out packets in flight.
 * - `"drop-oldest"` (a node's `messages()` readers): the oldest item goes. The freshest messages
 *   are usually the most useful, and dropping at the head keeps the wait of what is delivered
 *   bounded.
 *
 * @module
 */

/** Which item a full queue loses. */
export type Overflow = "refuse-newest" | "drop-oldest";

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * A bounded FIFO with one waiting reader. Iterating it directly (`for await`, `next()`) and
 * leaving the loop closes it; {@linkcode BoundedQueue.reader} iterates without closing.
 *
 * @example
 * ```ts
 * import { BoundedQueue } from "./bounded_queue.ts";
 * const queue = new BoundedQueue<number>(2, "drop-oldest");
 * queue.push(1);
 * queue.push(2);
 * if (queue.push(3)) throw new Error("1 was dropped for 3");
 * const batch = await queue.nextBatch();
 * if (batch.join() !== "2,3") throw new Error("the newest two remain");
 * ```
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  // Consumed slots before #head hold undefined, so the queue keeps no consumed item alive.
  #items: (T | undefined)[] = [];
  #head = 0;
  #waiter: (() => void) | undefined;
  #closed = false;
  readonly #onClose: ((queue: BoundedQueue<T>) => void) | undefined;

  /**
   * Creates an empty queue.
   *
   * @param capacity Most items held for a slow consumer.
   * @param overflow Which item a full queue loses.
   * @param onClose Called once when the queue closes (the consumer left, or `close()`).
   */
  constructor(
    readonly capacity: number,
    readonly overflow: Overflow,
    onClose?: (queue: BoundedQueue<T>) => void,
  ) {
    this.#onClose = onClose;
  }

  /** Items waiting. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** True once the queue is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Queues `item`; false when an item was lost for the bound (or the queue is closed). */
  push(item: T): boolean {
    if (this.#closed) return false;
    let kept = true;
    if (this.size >= this.capacity) {
      if (this.overflow === "refuse-newest") return false;
      this.#items[this.#head++] = undefined;
      kept = false;
    }
    this.#items.push(item);
    this.#compact();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
    return kept;
  }

  /** Drops what is queued and ends iteration; a waiting reader finishes. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#items = [];
    this.#head = 0;
    this.#onClose?.(this);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  /** The next item, waiting for one if none is queued; done once closed. */
  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head] as T;
      this.#items[this.#head++] = undefined;
      this.#compact();
      return Promise.resolve({ value, done: false });
    }
    if (this.#closed) return Promise.resolve(DONE);
    return this.#wait().then(() => this.next());
  }

  /**
   * Everything queued, waiting for at least one item if none is; an empty batch means the queue
   * has closed. Items pushed in one synchronous burst come as one batch.
   */
  nextBatch(): Promise<T[]> {
    if (this.#head < this.#items.length) return Promise.resolve(this.#takeAll());
    if (this.#closed) return Promise.resolve([]);
    return this.#wait().then(() => this.nextBatch());
  }

  /**
   * Batches as {@linkcode BoundedQueue.nextBatch} takes them (never empty) until closed; the
   * consumer pays one wake-up per burst instead of one per item. `onBatch` sees each batch's
   * size just before it is handed out. Leaving the loop does not close the queue.
   */
  batches(onBatch?: (size: number) => void): AsyncIterable<readonly T[]> {
    const next = (): Promise<IteratorResult<readonly T[]>> =>
      this.nextBatch().then((batch) => {
        if (batch.length === 0) return DONE;
        onBatch?.(batch.length);
        return { value: batch, done: false };
      });
    const iterator: AsyncIterator<readonly T[]> = { next };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  /** Iterates items without closing the queue when the loop is left (a transport's packets). */
  reader(): AsyncIterableIterator<T> {
    const reader: AsyncIterableIterator<T> = {
      next: () => this.next(),
      [Symbol.asyncIterator]: () => reader,
    };
    return reader;
  }

  /** Leaves the iteration (a `break` out of `for await`): closes the queue. */
  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve(DONE);
  }

  /** This queue, as its own iterator. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  #wait(): Promise<void> {
    return new Promise<void>((resolve) => (this.#waiter = resolve));
  }

  #takeAll(): T[] {
    const items = this.#items;
    // Only slots before #head hold undefined, so the batch holds items only.
    const batch = (this.#head === 0 ? items : items.slice(this.#head)) as T[];
    this.#items = [];
    this.#head = 0;
    return batch;
  }

  // Compacts once the consumed prefix dominates, so dequeue stays O(1) amortised and the array
  // stays within twice the bound.
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
