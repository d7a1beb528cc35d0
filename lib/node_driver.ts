/**
 * Drives the sans-I/O {@linkcode Engine} with the real world: a monotonic clock, one timer and
 * a transport.
 *
 * Every input (a datagram, a publish, new seeds, the timer firing) goes through
 * {@linkcode EngineDriver.call}: the engine runs, then what it delivered and the neighbour
 * changes it reported are handed out in one batch, and the single timer is re-armed for the
 * engine's `deadline()` (which inputs can move earlier). Outputs are buffered while the engine
 * runs so listeners never re-enter it; {@linkcode EngineDriver.inEngine} lets callers refuse
 * re-entry from engine callbacks.
 *
 * @module
 */

import { type Delivery, Engine, type EngineOptions, type PeerEvent } from "./engine/engine.ts";
import type { Packet, Transport } from "./transport/transport.ts";
import type { Address } from "./wire/address.ts";

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
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (driver clock); Infinity when none is armed. */
  #fireAt = Infinity;
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
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
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

  /**
   * Keeps one timer for the engine's earliest deadline. Inputs often move the deadline a little
   * earlier (a lazy flush 2 ms out); the armed timer is kept when it fires at most 1 ms after the
   * new deadline, since timers have millisecond resolution anyway, so most inputs touch no timer.
   */
  #arm(now: number): void {
    if (this.#stopped) return;
    const at = this.engine.deadline();
    if (this.#timer !== undefined) {
      if (this.#fireAt <= at + 1) return;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#fireAt = Infinity;
    }
    if (!Number.isFinite(at)) return;
    const delay = Math.max(0, Math.ceil(at - now));
    this.#fireAt = now + delay;
    this.#timer = setTimeout(this.#fire, delay);
  }

  #fire = (): void => {
    this.#timer = undefined;
    this.#fireAt = Infinity;
    if (this.#stopped) return;
    this.call((now) => this.engine.tick(now));
  };
}
