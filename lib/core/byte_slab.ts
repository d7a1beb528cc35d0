/**
 * Copies received datagrams into shared write-once slabs instead of one new buffer each.
 *
 * A socket's receive buffer is reused, so every datagram must be copied out. `slice()` gives
 * each copy its own ArrayBuffer, and small ArrayBuffers are expensive in V8: measured on the 2-core
 * VM, 2-7 µs per `slice()` of 120-1,400 bytes against 0.3-1.2 µs for a copy into a slab plus a
 * `subarray()` view. Slab regions are never reused, so a view stays valid for as long as it is
 * held; a held view keeps its slab alive (at most {@linkcode SLAB_BYTES}, or one datagram when
 * that is larger).
 *
 * @module
 */

/** Bytes of each slab. */
export const SLAB_BYTES = 16384;

/** Hands out copies of byte ranges, packed into shared slabs. */
export class ByteSlab {
  #slab = new Uint8Array(0);
  #at = 0;

  /** A copy of `bytes` that the caller owns (never overwritten). */
  copy(bytes: Uint8Array): Uint8Array {
    const n = bytes.length;
    if (this.#at + n > this.#slab.length) {
      this.#slab = new Uint8Array(Math.max(SLAB_BYTES, n));
      this.#at = 0;
    }
    const out = this.#slab.subarray(this.#at, this.#at + n);
    out.set(bytes);
    this.#at += n;
    return out;
  }
}
