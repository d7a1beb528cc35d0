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
import { DATAGRAM_HEADER, frameSize, writeFrame } from "../wire/codec.ts";
import { type Frame, FrameType, WIRE_VERSION } from "../wire/frame.ts";

/** Where flushed datagrams go, with a counter hook for each. */
export type DatagramSink = (to: Address, datagram: Uint8Array, frames: number) => void;

/** Marks a frame too large for any datagram (already counted) in a queue being packed. */
const SKIPPED: Frame = { type: FrameType.Prune };

/** Per-destination frame queues. */
export class Outbox {
  #queues = new Map<Address, Frame[]>();
  /** Frames that could not be encoded (no wire form or larger than a datagram). */
  unencodable = 0;

  /**
   * @param maxDatagramSize Largest datagram to produce.
   * @param sink Receives each finished datagram.
   */
  constructor(readonly maxDatagramSize: number, readonly sink: DatagramSink) {}

  /** Queues `frame` for `to`. */
  push(to: Address, frame: Frame): void {
    const queue = this.#queues.get(to);
    if (queue) queue.push(frame);
    else this.#queues.set(to, [frame]);
  }

  /** True when frames are queued for `to` (a datagram to it will leave at the next flush). */
  has(to: Address): boolean {
    return this.#queues.has(to);
  }

  /** Packs and hands over everything queued. */
  flush(): void {
    if (this.#queues.size === 0) return;
    const queues = this.#queues;
    this.#queues = new Map();
    for (const [to, frames] of queues) this.#pack(to, frames);
  }

  /**
   * Packs greedily in queue order, as many frames per datagram as fit. Sizes are known up front
   * (frameSize), so each datagram is allocated once at its exact size and written in place: no
   * max-size scratch buffer and no copy (that cost ~1.5 µs per flush at 512 B and ~17 µs at
   * 65,507 B). A frame that fails to encode although its size fit leaves a shorter datagram,
   * which is then trimmed with a copy.
   */
  #pack(to: Address, frames: Frame[]): void {
    const max = this.maxDatagramSize;
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
    const out = new Uint8Array(size);
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
    this.sink(to, at === size ? out : out.slice(0, at), count);
  }
}
