/**
 * Frames waiting to be sent, grouped by destination and packed into as few datagrams as fit.
 *
 * The engine queues frames while it handles one input and flushes once at the end, so an ACK, an
 * IHAVE and a digest for the same peer share one datagram (one version byte, one UDP header).
 * The number of frames queued between flushes is bounded by what one input can cause.
 *
 * @module
 */

import type { Address } from "../wire/address.ts";
import { DATAGRAM_HEADER, frameSize, MAX_UDP_PAYLOAD, writeFrame } from "../wire/codec.ts";
import { type Frame, FrameType, WIRE_VERSION } from "../wire/frame.ts";

/** Where flushed datagrams go, with a counter hook for each. */
export type DatagramSink = (to: Address, datagram: Uint8Array, frames: number) => void;

/** Marks a frame too large for any datagram (already counted) in a queue being packed. */
const NO_QUEUES: ReadonlyMap<Address, Frame[]> = new Map();
const SKIPPED: Frame = { type: FrameType.Prune };

/**
 * Datagrams up to this size are carved out of a shared slab instead of getting a buffer each:
 * a fresh `Uint8Array` costs about 1–2 µs (a backing store, then garbage-collector work), a view
 * into a slab about 0.2 µs, and a simulation of 10,000 nodes creates millions of datagrams. A
 * datagram keeps its slab alive only as long as someone holds it; the engine copies what it
 * keeps (cache, deliveries), so slabs die with the datagrams of a few steps. Small slabs, because
 * a datagram that lives long enough to reach V8's old space keeps its whole slab until the next
 * full collection: at 16 KB, a 10,000-node simulation held about 30 MB of slabs that way.
 */
const SLAB_SIZE = 4096;
const SLAB_MAX_DATAGRAM = 2048;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

function allocate(size: number): Uint8Array {
  if (size > SLAB_MAX_DATAGRAM) return new Uint8Array(size);
  if (slabUsed + size > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += size;
  return out;
}

/** Per-destination frame queues. */
export class Outbox {
  // Made at the first push after a flush and dropped by the flush, never cleared: clearing a Map
  // allocates a new table (in V8's old space once the map is old), and a map kept between
  // flushes in a simulation of thousands of engines lives long enough to become old.
  #queues: Map<Address, Frame[]> | undefined;
  /** Frames that could not be encoded (no wire form or larger than a datagram). */
  unencodable = 0;

  /**
   * @param maxDatagramSize Largest datagram to produce.
   * @param sink Receives each finished datagram.
   * @param gate Sees each destination's frames before packing and returns what to send (address
   *   validation adds cookies and padding, and holds back replies beyond the credit).
   * @param limitOf The largest datagram a destination accepts (mixed limits); datagrams to it are
   *   never larger, and a frame larger than that is dropped and counted in `unencodable`.
   */
  constructor(
    readonly maxDatagramSize: number,
    readonly sink: DatagramSink,
    readonly gate?: (to: Address, frames: Frame[]) => Frame[],
    readonly limitOf?: (to: Address) => number,
  ) {}

  /** The largest datagram this outbox builds for `to`. */
  limitFor(to: Address): number {
    const limit = this.limitOf?.(to);
    return limit === undefined ? this.maxDatagramSize : Math.min(limit, this.maxDatagramSize);
  }

  /** Destinations with a datagram leaving at the next flush. */
  destinations(): IterableIterator<Address> {
    return (this.#queues ?? NO_QUEUES).keys();
  }

  /** Queues `frame` for `to`. */
  push(to: Address, frame: Frame): void {
    const queues = this.#queues ??= new Map();
    const queue = queues.get(to);
    if (queue) queue.push(frame);
    else queues.set(to, [frame]);
  }

  /** Makes sure `to` is visited at the next flush, even with no frame queued (for the gate). */
  ensure(to: Address): void {
    const queues = this.#queues ??= new Map();
    if (!queues.has(to)) queues.set(to, []);
  }

  /** True when frames are queued for `to` (a datagram to it will leave at the next flush). */
  has(to: Address): boolean {
    return this.#queues !== undefined && this.#queues.has(to);
  }

  /**
   * Bytes still free in the last datagram that `to` gets at the next flush, as the frames queued
   * so far pack (0 when nothing is queued for it).
   */
  spareFor(to: Address): number {
    const frames = this.#queues?.get(to);
    if (frames === undefined) return 0;
    const max = this.limitOf ? this.limitFor(to) : this.maxDatagramSize;
    let size = DATAGRAM_HEADER;
    for (let i = 0; i < frames.length; i++) {
      const bytes = frameSize(frames[i]!);
      if (DATAGRAM_HEADER + bytes > max) continue;
      if (size + bytes > max) size = DATAGRAM_HEADER;
      size += bytes;
    }
    return max - size;
  }

  /** Packs and hands over everything queued. */
  flush(): void {
    const queues = this.#queues;
    if (queues === undefined) return;
    // Detach before packing, so frames pushed by a sink that calls back land in the next flush.
    this.#queues = undefined;
    const gate = this.gate;
    for (const [to, frames] of queues) this.#pack(to, gate ? gate(to, frames) : frames);
  }

  /**
   * Packs greedily in queue order, as many frames per datagram as fit. Sizes are known up front
   * (frameSize), so each datagram is allocated once at its exact size and written in place: no
   * max-size scratch buffer and no copy (that cost ~1.5 µs per flush at 512 B and ~17 µs at
   * 65,507 B). A frame that fails to encode although its size fit leaves a shorter datagram,
   * which is then trimmed (a shorter view of the same bytes).
   */
  #pack(to: Address, frames: Frame[]): void {
    const max = this.limitOf ? this.limitFor(to) : this.maxDatagramSize;
    let first = 0;
    let size = DATAGRAM_HEADER;
    for (let i = 0; i < frames.length; i++) {
      const bytes = frameSize(frames[i]!);
      if (DATAGRAM_HEADER + bytes > max) {
        this.unencodable++;
        frames[i] = SKIPPED;
        continue;
      }
      if (size + bytes > max) {
        this.#emit(to, frames, first, i, size);
        first = i;
        size = DATAGRAM_HEADER;
      }
      size += bytes;
    }
    this.#emit(to, frames, first, frames.length, size);
  }

  #emit(to: Address, frames: Frame[], from: number, until: number, size: number): void {
    if (size === DATAGRAM_HEADER) return;
    const out = allocate(size);
    out[0] = WIRE_VERSION;
    let at = DATAGRAM_HEADER;
    let count = 0;
    for (let i = from; i < until; i++) {
      const frame = frames[i]!;
      if (frame === SKIPPED) continue;
      const next = writeFrame(frame, out, at);
      if (next < 0) {
        this.unencodable++;
        continue;
      }
      at = next;
      count++;
    }
    if (count === 0) return;
    this.sink(to, at === size ? out : out.subarray(0, at), count);
  }
}

/** The destination an {@linkcode encodeFrames} outbox packs for; nothing is sent to it. */
const NOWHERE = "0.0.0.0:0";

/**
 * Packs `frames`, in order, into exactly one datagram the way the engine's {@linkcode Outbox}
 * packs what it sends (one framer for the engine and for the tools and tests that build
 * datagrams by hand: the simulator's adversaries, fuzzing, codec tests).
 *
 * @throws {RangeError} when the frames do not fit in one datagram of `maxSize` bytes.
 * @throws {TypeError} when a frame has no wire form (an address that cannot be encoded).
 *
 * @example
 * ```ts
 * import { encodeFrames } from "./outbox.ts";
 * import { FrameType } from "../wire/frame.ts";
 * const datagram = encodeFrames([{ type: FrameType.Ping, nodeId: 7, value: 1 }]);
 * if (datagram[0] !== 1) throw new Error("wire version first");
 * ```
 */
export function encodeFrames(frames: readonly Frame[], maxSize = MAX_UDP_PAYLOAD): Uint8Array {
  let size = DATAGRAM_HEADER;
  for (const frame of frames) size += frameSize(frame);
  if (size > maxSize) {
    throw new RangeError(`Cannot encode datagram: ${size} bytes exceeds the limit ${maxSize}`);
  }
  if (frames.length === 0) return Uint8Array.of(WIRE_VERSION);
  const datagrams: Uint8Array[] = [];
  const outbox = new Outbox(maxSize, (_to, datagram) => datagrams.push(datagram));
  for (const frame of frames) outbox.push(NOWHERE, frame);
  outbox.flush();
  if (outbox.unencodable > 0 || datagrams.length !== 1) {
    throw new TypeError("Cannot encode frame: it holds an address with no wire form");
  }
  return datagrams[0]!;
}
