/**
 * A min-heap of timed events for the simulator. Ties break by insertion order, so a run is
 * reproducible event for event.
 *
 * @module
 */

/** A scheduled event. */
export interface TimedEvent<T> {
  at: number;
  seq: number;
  value: T;
}

/** Binary min-heap ordered by (at, seq). */
export class EventQueue<T> {
  #heap: TimedEvent<T>[] = [];
  #seq = 0;

  /** Events waiting. */
  get size(): number {
    return this.#heap.length;
  }

  /** Schedules `value` at time `at`. */
  push(at: number, value: T): void {
    const heap = this.#heap;
    heap.push({ at, seq: this.#seq++, value });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** The time of the earliest event, or Infinity. */
  peekTime(): number {
    return this.#heap[0]?.at ?? Infinity;
  }

  /** Removes and returns the earliest event. */
  pop(): TimedEvent<T> | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.#less(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.#less(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
    return top;
  }

  #less(a: TimedEvent<T>, b: TimedEvent<T>): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}
