/**
 * Replay detection for sealed datagrams.
 *
 * Every sealed datagram's 12-byte nonce is `epoch (8 random bytes) ‖ counter (4 bytes, big
 * endian)`. A sender draws a fresh random epoch when it starts (and again if its counter would
 * wrap) and counts datagrams from 0 within it, so nonces never repeat under a key (GCM's one hard
 * rule) and each (epoch, counter) pair names one datagram. Because the nonce is authenticated,
 * an attacker cannot change it without failing decryption.
 *
 * The receiver keeps, per epoch, the highest counter seen and a bitmap of the last
 * {@linkcode REPLAY_WINDOW_BITS} counters below it (the IPsec/RFC 6479 sliding window). A counter
 * already marked, or older than the window, is a replay. Keying by epoch rather than by source
 * address means a datagram replayed from another address is still caught. The table of epochs is
 * bounded (least recently used evicted first, counted); it is only touched by datagrams that
 * authenticated, so an outsider cannot churn it.
 *
 * @module
 */

/** Counters below the highest that are still tracked individually. */
export const REPLAY_WINDOW_BITS = 1024;
const WORDS = REPLAY_WINDOW_BITS / 32;

/** Outcome of {@linkcode ReplayWindow.accept}. */
export type ReplayVerdict = "ok" | "replay" | "too_old";

interface Entry {
  high: number;
  bits: Uint32Array;
}

/**
 * Sliding replay windows for many sender epochs, bounded in entries.
 *
 * @example
 * ```ts
 * import { ReplayWindow } from "./replay_window.ts";
 * const window = new ReplayWindow(16);
 * if (window.accept(7n, 0) !== "ok") throw new Error("first");
 * if (window.accept(7n, 0) !== "replay") throw new Error("again");
 * if (window.accept(8n, 0) !== "ok") throw new Error("other epoch");
 * ```
 */
export class ReplayWindow {
  #entries = new Map<bigint, Entry>();
  /** Epochs forgotten to stay within the bound. */
  evictions = 0;

  /**
   * An empty table.
   *
   * @param capacity Most sender epochs tracked.
   */
  constructor(readonly capacity: number) {}

  /** Epochs tracked. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Records `(epoch, counter)` and says whether it is new. Call only for datagrams that
   * authenticated.
   */
  accept(epoch: bigint, counter: number): ReplayVerdict {
    let entry = this.#entries.get(epoch);
    if (entry === undefined) {
      entry = { high: counter, bits: new Uint32Array(WORDS) };
      mark(entry.bits, counter);
      this.#entries.set(epoch, entry);
      if (this.#entries.size > this.capacity) {
        const oldest = this.#entries.keys().next().value as bigint;
        this.#entries.delete(oldest);
        this.evictions++;
      }
      return "ok";
    }
    // Least recently used order: move to the end.
    this.#entries.delete(epoch);
    this.#entries.set(epoch, entry);
    if (counter > entry.high) {
      const advance = counter - entry.high;
      if (advance >= REPLAY_WINDOW_BITS) {
        entry.bits.fill(0);
      } else {
        // Clear the slots of the counters skipped over, word by word where possible.
        for (let c = entry.high + 1; c <= counter; c++) {
          const slot = c % REPLAY_WINDOW_BITS;
          if ((slot & 31) === 0 && c + 31 <= counter) {
            entry.bits[slot >>> 5] = 0;
            c += 31;
          } else {
            entry.bits[slot >>> 5]! &= ~(1 << (slot & 31));
          }
        }
      }
      entry.high = counter;
      mark(entry.bits, counter);
      return "ok";
    }
    if (entry.high - counter >= REPLAY_WINDOW_BITS) return "too_old";
    const slot = counter % REPLAY_WINDOW_BITS;
    const word = slot >>> 5, bit = 1 << (slot & 31);
    if ((entry.bits[word]! & bit) !== 0) return "replay";
    entry.bits[word]! |= bit;
    return "ok";
  }
}

function mark(bits: Uint32Array, counter: number): void {
  const slot = counter % REPLAY_WINDOW_BITS;
  bits[slot >>> 5]! |= 1 << (slot & 31);
}
