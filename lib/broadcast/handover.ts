/**
 * The last stage before the application: chunks are reassembled into their message, the ordering
 * stage (when `ordered` is set) holds messages behind a gap, and beacons and chunks are never
 * handed over themselves.
 *
 * @module
 */

import type { Delivery, EngineContext } from "../core/context.ts";
import { DataFlag } from "../wire/frame.ts";
import { OrderedDelivery } from "./ordered_delivery.ts";
import { isLastChunk, Reassembly } from "./reassembly.ts";

/** Reassembly and ordering in front of `ctx.deliver`. */
export class Handover {
  /** The ordered delivery stage, when `ordered` is set. */
  readonly ordered: OrderedDelivery | undefined;
  /** Chunked messages being reassembled (see chunking.ts, reassembly.ts). */
  readonly reassembly: Reassembly;

  /**
   * @param ctx The engine's shared state.
   * @param firstSeq The first sequence number of an origin the ordering stage waits for.
   * @param maxOrigins Origins the ordering stage tracks at most.
   */
  constructor(
    readonly ctx: EngineContext,
    firstSeq: (origin: number) => number,
    maxOrigins: number,
  ) {
    const o = ctx.options;
    this.ordered = o.ordered
      ? new OrderedDelivery({
        holdMs: o.orderHoldMs,
        maxHeld: o.orderMaxHeld,
        maxHeldTotal: 16 * o.orderMaxHeld,
        maxOrigins,
        firstSeq,
        deliver: (message) => {
          if ((message.flags & (DataFlag.Beacon | DataFlag.Chunk)) !== 0) return;
          ctx.counters.delivered++;
          ctx.deliver(message);
        },
        wakeAt: (at) => ctx.wakeAt(at),
        counters: ctx.counters,
      })
      : undefined;
    this.reassembly = new Reassembly({
      maxBytes: o.reassemblyMaxBytes,
      timeoutMs: o.reassemblyTimeoutMs,
      maxMessageSize: o.maxMessageSize,
      pullAfterMs: o.graftTimeoutMs,
    });
  }

  /** Hands news to the application, through reassembly and the ordering stage. */
  hand(delivery: Delivery, now: number, repaired = false): void {
    if ((delivery.flags & DataFlag.Chunk) !== 0) {
      const whole = this.reassembly.add(delivery, now, repaired);
      this.ctx.wakeAt(this.reassembly.nextPull());
      // Each sequence number passes the ordering stage once: a chunk's as a placeholder (never
      // handed over), the last chunk's as the whole message, whichever chunk completed it.
      if (this.ordered && !isLastChunk(delivery.data)) this.ordered.offer(delivery, now);
      if (whole === undefined) return;
      delivery = whole;
    }
    // A beacon is never delivered, but it holds a sequence number the ordering stage must pass.
    if (this.ordered) {
      this.ordered.offer(delivery, now);
    } else if ((delivery.flags & DataFlag.Beacon) === 0) {
      this.ctx.counters.delivered++;
      this.ctx.deliver(delivery);
    }
  }
}
