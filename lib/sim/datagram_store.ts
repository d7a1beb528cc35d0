/**
 * The bytes of datagrams in flight in the simulator, copied into a few large recycled chunks.
 *
 * The event queue used to hold each datagram as the engine's own `Uint8Array` (a view into the
 * sender's outbox slab). A datagram stays in flight for a link delay, which in a 10,000-node join
 * storm is thousands of events later: long enough for V8 to promote the view to the old
 * generation, where it stayed as garbage (with its slab) until the next full collection. Copied
 * here, the engine's view dies young, the queue holds two integers per datagram instead of an
 * object, and a chunk is reused once every datagram in it has been handed over.
 *
 * @module
 */

/** Bytes per chunk: any datagram fits (the UDP limit is 65,507). */
const CHUNK = 65536;

/** Datagram bytes by handle; see the module doc. */
export class DatagramStore {
  readonly #chunks: Uint8Array[] = [];
  /** Datagrams stored in each chunk and not yet released. */
  readonly #live: number[] = [];
  readonly #free: number[] = [];
  #current = -1;
  #used = CHUNK;

  /** Chunks allocated so far (each {@linkcode CHUNK} bytes). */
  get chunks(): number {
    return this.#chunks.length;
  }

  /** Copies `bytes` in; returns its handle (pass it, with the length, to `view` and `release`). */
  put(bytes: Uint8Array): number {
    const length = bytes.length;
    if (length > CHUNK) throw new RangeError(`a datagram of ${length} bytes exceeds ${CHUNK}`);
    if (this.#used + length > CHUNK) this.#nextChunk();
    const offset = this.#used;
    this.#chunks[this.#current]!.set(bytes, offset);
    this.#used += length;
    this.#live[this.#current]!++;
    return this.#current * CHUNK + offset;
  }

  /** A view of the stored datagram, valid until it is released and its chunk reused. */
  view(handle: number, length: number): Uint8Array {
    const offset = handle % CHUNK;
    return this.#chunks[(handle - offset) / CHUNK]!.subarray(offset, offset + length);
  }

  /** The datagram at `handle` was handed over (or dropped): its bytes may be overwritten. */
  release(handle: number): void {
    const chunk = (handle - (handle % CHUNK)) / CHUNK;
    if (--this.#live[chunk]! === 0 && chunk !== this.#current) this.#free.push(chunk);
  }

  #nextChunk(): void {
    const old = this.#current;
    if (old >= 0 && this.#live[old] === 0) this.#free.push(old);
    const reused = this.#free.pop();
    if (reused !== undefined) {
      this.#current = reused;
    } else {
      this.#current = this.#chunks.length;
      this.#chunks.push(new Uint8Array(CHUNK));
      this.#live.push(0);
    }
    this.#used = 0;
  }
}
