/**
 * A pump between the sans-I/O {@linkcode Engine} and the real world: a monotonic clock, timers
 * and a transport.
 *
 * Every input (a datagram batch, a publish, new seeds, a timer firing) goes through
 * {@linkcode EngineDriver.call}: the engine runs, then its output batch (`engine.ready()`) is
 * carried out: datagrams to the transport, neighbour changes and deliveries to the node, and a
 * timer made sure to fire by the batch's deadline (which inputs can move earlier). The engine
 * calls nothing while it runs, so listeners handed the outputs may call the node again.
 *
 * Wake-ups go through a {@linkcode TimerHub} (one runtime timer for all drivers of the process),
 * and the usual pattern is a deadline that jumps a few ms closer (a lazy IHAVE flush) and back.
 * So a wake-up is never cancelled to be moved: a closer deadline gets a new one next to the armed
 * ones (at most {@linkcode MAX_TIMERS}), and a deadline that an armed one already meets to within
 * 1 ms (timers have millisecond resolution) gets none. A wake-up that comes early ticks an engine
 * with nothing due, which is cheap.
 *
 * @module
 */

import { type Delivery, Engine, type EngineOptions, type PeerEvent } from "../engine/engine.ts";
import type { Packet, Transport } from "../transport/transport.ts";
import type { Address } from "../wire/address.ts";
import { type HubTimer, processTimers, type TimerHub } from "./timer_hub.ts";

/** Timer lateness (ms) worth telling the engine about; below this is timer granularity. */
const LAG_REPORT_MS = 10;
/** Timers armed at once per driver; past this the latest one is cancelled. */
const MAX_TIMERS = 3;

interface ArmedTimer {
  /** When it fires, driver clock. */
  at: number;
  handle: HubTimer | undefined;
}

/** Where the driver hands out what the engine produced. */
export interface DriverOutput {
  /** Neighbour changes of one engine call, in order (the driver's copy). */
  peers(events: PeerEvent[]): void;
  /** Messages delivered by one engine call (the driver's copy). */
  deliver(batch: Delivery[]): void;
}

/** An engine bound to the clock, a timer and a transport. */
export class EngineDriver {
  /** The protocol engine (read-only calls may go straight to it). */
  readonly engine: Engine;
  readonly #hub: TimerHub;
  readonly #started: number;
  #timers: ArmedTimer[] = [];
  #stopped = false;
  readonly #send: (to: Address, datagram: Uint8Array) => void;

  /**
   * @param options Engine options (with its random source).
   * @param transport Where the engine's datagrams go.
   * @param output Receives deliveries and neighbour changes after each engine call.
   * @param hub Where the driver's wake-ups are kept (the process's shared hub by default).
   */
  constructor(
    options: EngineOptions,
    transport: Transport,
    readonly output: DriverOutput,
    hub: TimerHub = processTimers,
  ) {
    this.#hub = hub;
    this.#started = hub.now();
    // Fire and forget: transports count their own failures and never re-enter the engine.
    // post() spares the promise per datagram where the transport has it.
    this.#send = transport.post
      ? transport.post.bind(transport)
      : (to: Address, datagram: Uint8Array) => void transport.send(to, datagram).catch(() => {});
    this.engine = new Engine(options);
  }

  /** Milliseconds since the driver was made, on the monotonic clock. */
  now(): number {
    return this.#hub.now() - this.#started;
  }

  /** Runs one engine call at the current time, hands out its outputs and re-arms the timer. */
  call(run: (now: number) => void): void {
    const now = this.now();
    run(now);
    this.#drain(now);
  }

  /** Hands datagrams that arrived together to the engine in one call (one flush, one re-arm). */
  receive(packets: readonly Packet[]): void {
    this.call((now) => this.engine.receiveBatch(packets, now));
  }

  /** Stops the timer for good; later calls still run but never re-arm it, and outputs stop. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) if (timer.handle) this.#hub.cancel(timer.handle);
    this.#timers = [];
  }

  /**
   * Carries out the engine's output batch. Sends first (the batch is only valid until the engine
   * runs again), then hands out copies of the events and deliveries, whose listeners may call the
   * node (and so the engine) again.
   */
  #drain(now: number): void {
    const ready = this.engine.ready();
    const to = ready.to;
    const datagrams = ready.datagrams;
    for (let i = 0; i < to.length; i++) this.#send(to[i]!, datagrams[i]!);
    const deadline = ready.deadline;
    const events = ready.peerEvents.length > 0 ? ready.peerEvents.slice() : undefined;
    const batch = ready.deliveries.length > 0 ? ready.deliveries.slice() : undefined;
    this.#arm(now, deadline);
    if (events) this.output.peers(events);
    if (batch && !this.#stopped) this.output.deliver(batch);
  }

  /** Makes sure a timer fires by the engine's deadline `at` (see the module doc). */
  #arm(now: number, at: number): void {
    if (this.#stopped) return;
    if (!Number.isFinite(at)) return;
    const timers = this.#timers;
    for (let i = 0; i < timers.length; i++) if (timers[i]!.at <= at + 1) return;
    if (timers.length >= MAX_TIMERS) {
      let latest = 0;
      for (let i = 1; i < timers.length; i++) if (timers[i]!.at > timers[latest]!.at) latest = i;
      const handle = timers[latest]!.handle;
      if (handle) this.#hub.cancel(handle);
      timers.splice(latest, 1);
    }
    const delay = Math.max(0, Math.ceil(at - now));
    const timer: ArmedTimer = { at: now + delay, handle: undefined };
    timer.handle = this.#hub.at(this.#started + timer.at, () => this.#fire(timer));
    timers.push(timer);
  }

  #fire(timer: ArmedTimer): void {
    const i = this.#timers.indexOf(timer);
    if (i >= 0) this.#timers.splice(i, 1);
    if (this.#stopped) return;
    this.call((now) => {
      // A timer firing late says the event loop is behind: tell the engine (see Engine.lagged).
      const lag = now - timer.at;
      if (lag >= LAG_REPORT_MS) this.engine.lagged(lag, now);
      this.engine.tick(now);
    });
  }
}
