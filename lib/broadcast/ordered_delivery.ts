/**
 * Per-origin ordered delivery (the `ordered` option): a pure stage between the seen set and the
 * application that hands each origin's messages over in sequence order.
 *
 * A message whose sequence number is the next expected one of its origin is delivered at once,
 * followed by any held successors. One that comes early (a gap before it) is held. A gap is
 * waited for at most `holdMs` (counted from when the origin's first message was held) and at
 * most `maxHeld` messages of that origin; then the stage skips to the lowest held message,
 * counting the missing sequence numbers in `orderSkipped`. A message arriving after its gap was
 * skipped cannot be delivered in order: it is dropped and counted in `orderLate`.
 *
 * The stage reads no clock: time comes from the engine's `now`, and it asks to be ticked at the
 * next hold deadline. Memory is bounded by `maxHeld` per origin, `maxHeldTotal` overall (past
 * it, the origin waiting longest is released first) and `maxOrigins` expected-sequence entries.
 *
 * @module
 */

import type { Delivery } from "../core/context.ts";
import type { EngineCounters } from "../core/stats.ts";
import { seqOf } from "../wire/message_id.ts";

/** Settings and hooks of an {@linkcode OrderedDelivery}. */
export interface OrderedDeliveryOptions {
  /** Longest wait behind a gap, in ms. */
  holdMs: number;
  /** Most messages held per origin. */
  maxHeld: number;
  /** Most messages held over all origins. */
  maxHeldTotal: number;
  /** Most origins whose next sequence number is remembered. */
  maxOrigins: number;
  /** The first sequence number to expect from an origin not seen yet. */
  firstSeq(origin: number): number;
  /** Hands a message to the application. */
  deliver(message: Delivery): void;
  /** Asks to be ticked no later than `at`. */
  wakeAt(at: number): void;
  /** Where skips and late drops are counted. */
  counters: EngineCounters;
}

interface OriginState {
  next: number;
  held: Map<number, Delivery>;
  /** When the wait behind the current gap ends; Infinity when nothing is held. */
  deadline: number;
}

/** Delivers each origin's messages in sequence order; see the module doc. */
export class OrderedDelivery {
  #origins = new Map<number, OriginState>();
  #heldTotal = 0;

  /** @param options Bounds and hooks. */
  constructor(readonly options: OrderedDeliveryOptions) {}

  /** Messages currently held behind gaps. */
  get held(): number {
    return this.#heldTotal;
  }

  /** Takes a new (deduplicated) message at time `now`. */
  offer(message: Delivery, now: number): void {
    const state = this.#state(message.origin);
    const seq = seqOf(message.id);
    if (seq < state.next) {
      this.options.counters.orderLate++;
      return;
    }
    if (seq === state.next) {
      this.options.deliver(message);
      state.next++;
      this.#release(state);
      return;
    }
    if (state.held.has(seq)) return;
    state.held.set(seq, message);
    this.#heldTotal++;
    if (state.held.size === 1) {
      state.deadline = now + this.options.holdMs;
      this.options.wakeAt(state.deadline);
    }
    if (state.held.size > this.options.maxHeld) this.#skipGap(state);
    if (this.#heldTotal > this.options.maxHeldTotal) this.#releaseLongestWaiting();
  }

  /** Skips the gaps whose wait is over; returns the next deadline (Infinity: none). */
  tick(now: number): number {
    let next = Infinity;
    for (const state of this.#origins.values()) {
      while (state.held.size > 0 && state.deadline <= now) {
        this.#skipGap(state);
        if (state.held.size > 0) state.deadline = now + this.options.holdMs;
      }
      if (state.held.size > 0) next = Math.min(next, state.deadline);
    }
    return next;
  }

  #state(origin: number): OriginState {
    let state = this.#origins.get(origin);
    if (state) {
      // Most recently used last, so the bound forgets idle origins first.
      this.#origins.delete(origin);
      this.#origins.set(origin, state);
      return state;
    }
    state = { next: this.options.firstSeq(origin), held: new Map(), deadline: Infinity };
    this.#origins.set(origin, state);
    if (this.#origins.size > this.options.maxOrigins) this.#forgetIdleOrigin();
    return state;
  }

  /** Jumps over the gap before the lowest held message and delivers what follows it. */
  #skipGap(state: OriginState): void {
    let lowest = Infinity;
    for (const seq of state.held.keys()) lowest = Math.min(lowest, seq);
    if (lowest === Infinity) return;
    this.options.counters.orderSkipped += lowest - state.next;
    state.next = lowest;
    this.#release(state);
  }

  #release(state: OriginState): void {
    for (let message = state.held.get(state.next); message; message = state.held.get(state.next)) {
      state.held.delete(state.next);
      this.#heldTotal--;
      this.options.deliver(message);
      state.next++;
    }
    if (state.held.size === 0) state.deadline = Infinity;
  }

  #releaseLongestWaiting(): void {
    let oldest: OriginState | undefined;
    for (const state of this.#origins.values()) {
      if (state.held.size > 0 && (!oldest || state.deadline < oldest.deadline)) oldest = state;
    }
    if (oldest) this.#skipGap(oldest);
  }

  #forgetIdleOrigin(): void {
    for (const [origin, state] of this.#origins) {
      if (state.held.size === 0) {
        this.#origins.delete(origin);
        return;
      }
    }
  }
}
