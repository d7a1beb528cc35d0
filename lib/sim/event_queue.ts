/**
 * A min-heap of timed events for the simulator. Ties break by insertion order, so a run is
 * reproducible event for event.
 *
 * The heap lives in typed arrays (time, sequence number and slot per heap position) and moves
 * entries by sifting a hole rather than swapping objects: a simulation of 10,000 nodes keeps
 * hundreds of thousands of events in flight, and one object per event plus pairwise swaps made
 * the queue and the garbage collector a large share of the run. Each event carries two integers
 * (`a`, `b`) and one optional reference, stored by slot; slots are recycled through a free list.
 *
 * @module
 */

/** Binary min-heap ordered by (at, insertion order), holding two integers and a reference. */
export class EventQueue<T> {
  #at = new Float64Array(1024);
  #seqOf = new Float64Array(1024);
  #slotOf = new Int32Array(1024);
  #size = 0;
  #seq = 0;
  // Per-slot payload, recycled through #free.
  #a = new Int32Array(1024);
  #b = new Int32Array(1024);
  #ref: (T | undefined)[] = [];
  #free = new Int32Array(1024);
  #freeCount = 0;
  #slots = 0;
  /** First integer of the event last returned by {@linkcode EventQueue.pop}. */
  a = 0;
  /** Second integer of the event last returned by {@linkcode EventQueue.pop}. */
  b = 0;
  /** Reference of the event last returned by {@linkcode EventQueue.pop}. */
  ref: T | undefined = undefined;

  /** Events waiting. */
  get size(): number {
    return this.#size;
  }

  /** Schedules an event at time `at` carrying `a`, `b` and `ref`. */
  push(at: number, a: number, b: number, ref?: T): void {
    const slot = this.#takeSlot();
    this.#a[slot] = a;
    this.#b[slot] = b;
    this.#ref[slot] = ref;
    if (this.#size === this.#at.length) this.#growHeap();
    const seq = this.#seq++;
    const heapAt = this.#at, heapSeq = this.#seqOf, heapSlot = this.#slotOf;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pAt = heapAt[parent]!;
      if (pAt < at || (pAt === at && heapSeq[parent]! < seq)) break;
      heapAt[i] = pAt;
      heapSeq[i] = heapSeq[parent]!;
      heapSlot[i] = heapSlot[parent]!;
      i = parent;
    }
    heapAt[i] = at;
    heapSeq[i] = seq;
    heapSlot[i] = slot;
  }

  /** The time of the earliest event, or Infinity. */
  peekTime(): number {
    return this.#size > 0 ? this.#at[0]! : Infinity;
  }

  /**
   * Removes the earliest event and returns its time (Infinity when empty); its payload is left
   * in {@linkcode EventQueue.a}, {@linkcode EventQueue.b} and {@linkcode EventQueue.ref}.
   */
  pop(): number {
    if (this.#size === 0) return Infinity;
    const heapAt = this.#at, heapSeq = this.#seqOf, heapSlot = this.#slotOf;
    const top = heapAt[0]!;
    const slot = heapSlot[0]!;
    this.a = this.#a[slot]!;
    this.b = this.#b[slot]!;
    this.ref = this.#ref[slot];
    this.#ref[slot] = undefined;
    this.#free[this.#freeCount++] = slot;
    const size = --this.#size;
    if (size > 0) {
      // Sift the last entry down from the root.
      const at = heapAt[size]!, seq = heapSeq[size]!, lastSlot = heapSlot[size]!;
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= size) break;
        const right = child + 1;
        if (
          right < size &&
          (heapAt[right]! < heapAt[child]! ||
            (heapAt[right] === heapAt[child] && heapSeq[right]! < heapSeq[child]!))
        ) child = right;
        const cAt = heapAt[child]!;
        if (at < cAt || (at === cAt && seq < heapSeq[child]!)) break;
        heapAt[i] = cAt;
        heapSeq[i] = heapSeq[child]!;
        heapSlot[i] = heapSlot[child]!;
        i = child;
      }
      heapAt[i] = at;
      heapSeq[i] = seq;
      heapSlot[i] = lastSlot;
    }
    return top;
  }

  #takeSlot(): number {
    if (this.#freeCount > 0) return this.#free[--this.#freeCount]!;
    const slot = this.#slots++;
    if (slot === this.#a.length) {
      const grow = <A extends Int32Array>(old: A, make: (n: number) => A): A => {
        const next = make(old.length * 2);
        next.set(old);
        return next;
      };
      this.#a = grow(this.#a, (n) => new Int32Array(n));
      this.#b = grow(this.#b, (n) => new Int32Array(n));
      this.#free = new Int32Array(this.#a.length);
    }
    return slot;
  }

  #growHeap(): void {
    const n = this.#at.length * 2;
    const at = new Float64Array(n), seq = new Float64Array(n), slot = new Int32Array(n);
    at.set(this.#at);
    seq.set(this.#seqOf);
    slot.set(this.#slotOf);
    this.#at = at;
    this.#seqOf = seq;
    this.#slotOf = slot;
  }
}
