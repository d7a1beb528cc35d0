/**
 * One runtime timer for every engine driver of the process.
 *
 * Each driver wants to be woken by its engine's deadline, and these deadlines move all the time
 * (a lazy IHAVE flush a few ms away, then a probe a second away). A runtime timer costs about as
 * much as a datagram (setTimeout + clearTimeout ~10 µs, a firing ~24 µs on the 2-core VM), and
 * a process that runs many nodes (tests, benchmarks, a simulator on real sockets) paid that per
 * node. The hub keeps the wanted wake-ups in a binary heap and holds one runtime timer for the
 * earliest; wake-ups due in the same millisecond run in one firing, one after another.
 *
 * Cancelling marks the entry; it leaves the heap when it reaches the top, or when cancelled
 * entries outnumber live ones and the heap is rebuilt without them (so the heap stays within
 * twice what the drivers keep armed: a few entries each).
 *
 * @module
 */

/** The runtime's timer functions and clock; injectable for tests. */
export interface TimerRuntime {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  setTimeout(fire: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A wake-up handed out by {@linkcode TimerHub.at}. */
export interface HubTimer {
  /** When it is due, on the hub's clock. */
  readonly at: number;
  /** True once it ran or was cancelled. */
  readonly done: boolean;
}

interface Entry extends HubTimer {
  at: number;
  done: boolean;
  /** Insertion order: entries due at the same time run in the order they were made. */
  order: number;
  run: () => void;
}

/** Cancelled entries tolerated before the heap may be rebuilt without them. */
const COMPACT_AT = 64;

const RUNTIME: TimerRuntime = {
  now: () => performance.now(),
  setTimeout: (fire, delayMs) => setTimeout(fire, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Shares one runtime timer among many wake-ups. */
export class TimerHub {
  #heap: Entry[] = [];
  #made = 0;
  /** When the runtime timer fires (Infinity when none is armed), and its handle. */
  #armedAt = Infinity;
  #handle: unknown = undefined;
  #firing = false;
  #cancelled = 0;

  /** @param runtime The clock and timers to use (the runtime's own by default). */
  constructor(readonly runtime: TimerRuntime = RUNTIME) {}

  /** Wake-ups waiting (cancelled ones that have not reached the top of the heap included). */
  get size(): number {
    return this.#heap.length;
  }

  /** Milliseconds on the hub's clock. */
  now(): number {
    return this.runtime.now();
  }

  /** Runs `run` once, at `at` on the hub's clock or as soon after as the runtime allows. */
  at(at: number, run: () => void): HubTimer {
    const entry: Entry = { at, done: false, order: this.#made++, run };
    this.#push(entry);
    if (!this.#firing) this.#arm();
    return entry;
  }

  /** Cancels a wake-up that has not run yet; harmless otherwise. */
  cancel(timer: HubTimer): void {
    const entry = timer as Entry;
    if (entry.done) return;
    entry.done = true;
    if (++this.#cancelled > COMPACT_AT && 2 * this.#cancelled > this.#heap.length) this.#compact();
    // The runtime timer follows the earliest live wake-up: when that one goes, it moves (or
    // stops, so a process whose nodes all stopped holds no timer and may exit).
    if (
      !this.#firing &&
      (this.#heap.length === 0 || this.#heap[0] === entry || entry.at <= this.#armedAt + 1)
    ) {
      this.#arm();
    }
  }

  /** Rebuilds the heap from its live entries. */
  #compact(): void {
    const live = this.#heap.filter((entry) => !entry.done);
    this.#heap = [];
    this.#cancelled = 0;
    for (const entry of live) this.#push(entry);
  }

  /** Keeps the runtime timer armed for the earliest live wake-up, and only for that. */
  #arm(): void {
    this.#dropCancelled();
    const first = this.#heap[0];
    if (first === undefined) {
      if (this.#handle !== undefined) this.runtime.clearTimeout(this.#handle);
      this.#handle = undefined;
      this.#armedAt = Infinity;
      return;
    }
    // Timers have millisecond resolution: an armed timer within 1 ms of the wanted time will do.
    if (this.#armedAt <= first.at + 1 && this.#armedAt >= first.at - 1) return;
    if (this.#handle !== undefined) this.runtime.clearTimeout(this.#handle);
    const now = this.runtime.now();
    const delay = Math.max(0, Math.ceil(first.at - now));
    this.#armedAt = now + delay;
    this.#handle = this.runtime.setTimeout(this.#fire, delay);
  }

  #fire = (): void => {
    this.#handle = undefined;
    this.#armedAt = Infinity;
    this.#firing = true;
    try {
      // What is due now runs; wake-ups made meanwhile for now or earlier run in this firing too.
      const now = this.runtime.now();
      while (this.#heap.length > 0 && this.#heap[0]!.at <= now) {
        const entry = this.#pop();
        if (entry.done) {
          this.#cancelled--;
          continue;
        }
        entry.done = true;
        entry.run();
      }
    } finally {
      this.#firing = false;
      this.#arm();
    }
  };

  #dropCancelled(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.done) {
      this.#pop();
      this.#cancelled--;
    }
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): Entry {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && earlier(heap[right]!, heap[left]!) ? right : left;
      if (!earlier(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function earlier(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

/** The hub of this process, shared by every {@linkcode EngineDriver} that is not given one. */
export const processTimers: TimerHub = new TimerHub();
