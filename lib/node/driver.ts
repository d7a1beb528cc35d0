/**
 * Drives the sans-I/O {@linkcode Engine} with the real world: a monotonic clock, timers and a
 * transport.
 *
 * Every input (a datagram, a publish, new seeds, a timer firing) goes through
 * {@linkcode EngineDriver.call}: the engine runs, then what it delivered and the neighbour
 * changes it reported are handed out in one batch, and a timer is made sure to fire by the
 * engine's `deadline()` (which inputs can move earlier). Outputs are buffered while the engine
 * runs so listeners never re-enter it; {@linkcode EngineDriver.inEngine} lets callers refuse
 * re-entry from engine callbacks.
 *
 * Timers cost as much as a datagram here (measured on the 2-core VM: setTimeout + clearTimeout
 * ~10 µs, a timer firing ~24 µs), and the usual pattern is a deadline that jumps a few ms closer
 * (a lazy IHAVE flush) and back. So a timer is never cancelled to be moved: a closer deadline
 * gets a new timer next to the armed ones (at most {@linkcode MAX_TIMERS}), and a deadline that
 * an armed timer already meets to within 1 ms (timers have millisecond resolution) gets none.
 * A timer that fires early ticks an engine with nothing due, which is cheap.
 *
 * @module
 */

import { type Delivery, Engine, type EngineOptions, type PeerEvent } from "../engine/engine.ts";
import type { Packet, Transport } from "../transport/transport.ts";
import type { Address } from "../wire/address.ts";

/** Timers armed at once per driver; past this the latest one is cancelled. */
const MAX_TIMERS = 3;

interface ArmedTimer {
  /** When it fires, driver clock. */
  at: number;
  handle: ReturnType<typeof setTimeout> | undefined;
}

/** Where the driver hands out what the engine produced. */
export interface DriverOutput {
  /** Neighbour changes of one engine call, in order. */
  peers(events: PeerEvent[]): void;
  /** Messages delivered by one engine call (or by listeners of the previous batch). */
  deliver(batch: Delivery[]): void;
}

/** An engine bound to the clock, a timer and a transport. */
export class EngineDriver {
  /** The protocol engine (read-only calls may go straight to it). */
  readonly engine: Engine;
  #started = performance.now();
  #timers: ArmedTimer[] = [];
  #pending: Delivery[] = [];
  #pendingPeers: PeerEvent[] = [];
  #inEngine = false;
  #stopped = false;

  /**
   * @param options Engine options (with its random source).
   * @param transport Where the engine's datagrams go.
   * @param output Receives deliveries and neighbour changes after each engine call.
   */
  constructor(options: EngineOptions, transport: Transport, readonly output: DriverOutput) {
    // Fire and forget: transports count their own failures and never re-enter the engine.
    // post() spares the promise per datagram where the transport has it.
    const send = transport.post
      ? transport.post.bind(transport)
      : (to: Address, datagram: Uint8Array) => void transport.send(to, datagram).catch(() => {});
    this.engine = new Engine(options, {
      send,
      deliver: (message) => {
        this.#pending.push(message);
      },
      peer: (event) => {
        this.#pendingPeers.push(event);
      },
    });
  }

  /** True while an engine call runs (engine callbacks must not call the engine again). */
  get inEngine(): boolean {
    return this.#inEngine;
  }

  /** Milliseconds since the driver was made, on the monotonic clock. */
  now(): number {
    return performance.now() - this.#started;
  }

  /** Runs one engine call at the current time, hands out its outputs and re-arms the timer. */
  call(run: (now: number) => void): void {
    const now = this.now();
    this.#inEngine = true;
    try {
      run(now);
    } finally {
      this.#inEngine = false;
    }
    this.#flush();
    this.#arm(now);
  }

  /** Hands datagrams that arrived together to the engine in one call (one flush, one re-arm). */
  receive(packets: readonly Packet[]): void {
    this.call((now) => this.engine.receiveBatch(packets, now));
  }

  /** Stops the timer for good; later calls still run but never re-arm it, and outputs stop. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer.handle);
    this.#timers = [];
  }

  #flush(): void {
    if (this.#pendingPeers.length > 0) {
      const events = this.#pendingPeers;
      this.#pendingPeers = [];
      this.output.peers(events);
    }
    while (this.#pending.length > 0 && !this.#stopped) {
      const batch = this.#pending;
      this.#pending = [];
      this.output.deliver(batch);
    }
  }

  /** Makes sure a timer fires by the engine's deadline (see the module doc). */
  #arm(now: number): void {
    if (this.#stopped) return;
    const at = this.engine.deadline();
    if (!Number.isFinite(at)) return;
    const timers = this.#timers;
    for (let i = 0; i < timers.length; i++) if (timers[i]!.at <= at + 1) return;
    if (timers.length >= MAX_TIMERS) {
      let latest = 0;
      for (let i = 1; i < timers.length; i++) if (timers[i]!.at > timers[latest]!.at) latest = i;
      clearTimeout(timers[latest]!.handle);
      timers.splice(latest, 1);
    }
    const delay = Math.max(0, Math.ceil(at - now));
    const timer: ArmedTimer = { at: now + delay, handle: undefined };
    timer.handle = setTimeout(() => this.#fire(timer), delay);
    timers.push(timer);
  }

  #fire(timer: ArmedTimer): void {
    const i = this.#timers.indexOf(timer);
    if (i >= 0) this.#timers.splice(i, 1);
    if (this.#stopped) return;
    this.call((now) => this.engine.tick(now));
  }
}
