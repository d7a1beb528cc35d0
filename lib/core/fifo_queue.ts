/**
 * A plain first-in first-out queue over an array: push at the tail, shift at the head in O(1).
 *
 * `Array.prototype.shift` moves every element, and a `Map` or `Set` used as a queue keeps its
 * deleted slots until it rehashes, so reading its oldest entry walks past every slot freed before
 * it. Here the head is an index; the array is compacted once the consumed prefix is at least
 * half of it, which keeps each operation O(1) amortised.
 *
 * @module
 */

/** Below this many consumed slots the array is never compacted (copying is not worth it). */
const COMPACT_AFTER = 1024;

/** A FIFO queue; the caller bounds it. */
export class FifoQueue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Items held. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Appends `item` at the tail. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** The oldest item, or undefined when empty. */
  first(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined; // keep nothing consumed alive
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    } else if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    }
    return item;
  }

  /**
   * The item `index` places after the oldest (0 is the oldest), or undefined past the end. An
   * indexed loop allocates nothing; iterating `values()` makes a result object per item.
   */
  at(index: number): T | undefined {
    return index >= 0 && index < this.length ? this.#items[this.#head + index] : undefined;
  }

  /** The items, oldest first. */
  *values(): IterableIterator<T> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i]!;
  }
}
