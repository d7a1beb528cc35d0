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
import { type Frame, WIRE_VERSION } from "../wire/frame.ts";

/** Where flushed datagrams go, with a counter hook for each. */
export type DatagramSink = (to: Address, datagram: Uint8Array, frames: number) => void;

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

  /** Packs and hands over everything queued. */
  flush(): void {
    if (this.#queues.size === 0) return;
    const queues = this.#queues;
    this.#queues = new Map();
    for (const [to, frames] of queues) this.#pack(to, frames);
  }

  #pack(to: Address, frames: Frame[]): void {
    let buffer = new Uint8Array(this.maxDatagramSize);
    let at = DATAGRAM_HEADER;
    let count = 0;
    const emit = () => {
      if (count === 0) return;
      buffer[0] = WIRE_VERSION;
      this.sink(to, buffer.slice(0, at), count);
      buffer = new Uint8Array(this.maxDatagramSize);
      at = DATAGRAM_HEADER;
      count = 0;
    };
    for (const frame of frames) {
      if (DATAGRAM_HEADER + frameSize(frame) > this.maxDatagramSize) {
        this.unencodable++;
        continue;
      }
      let next = writeFrame(frame, buffer, at);
      if (next < 0 && count > 0) {
        emit();
        next = writeFrame(frame, buffer, at);
      }
      if (next < 0) {
        this.unencodable++;
        continue;
      }
      at = next;
      count++;
    }
    emit();
  }
}
