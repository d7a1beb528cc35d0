/**
 * A deterministic simulator: many engines in one process on virtual time, over a network with
 * per-link delay, jitter, loss and partitions, all drawn from one seed.
 *
 * The engines are the real ones; only the clock and the wire are simulated. After every input
 * the simulator takes the engine's output batch (`engine.ready()`), as `GossipNode` does: its
 * deliveries are recorded, its datagrams put on the simulated links, its deadline scheduled. The
 * same seed and the same calls replay the same run, event for event.
 *
 * @module
 */

import { Engine } from "../engine/engine.ts";
import type { Delivery } from "../core/context.ts";
import { type Prng, seededPrng } from "../core/prng.ts";
import type { GossipOptions } from "../options.ts";
import { type Address, readAddress, writeAddress } from "../wire/address.ts";
import type { MessageId } from "../wire/message_id.ts";
import { EventQueue } from "./event_queue.ts";

/** Settings of a {@linkcode Simulation}. */
export interface SimulationOptions {
  /** Number of nodes. */
  nodes: number;
  /** Seed of every random choice in the run. @default {1} */
  seed?: number;
  /** Probability that a datagram is lost on any link, 0..1. @default {0} */
  loss?: number;
  /** One-way link delay in virtual ms. @default {10} */
  delayMs?: number;
  /** Extra uniform random delay, 0..jitterMs. @default {5} */
  jitterMs?: number;
  /** Protocol options for every engine (seeds are set by the simulator). */
  gossip?: GossipOptions;
  /** Node i's own protocol options, over `gossip` (mixed datagram limits, for example). */
  gossipOf?: (index: number) => GossipOptions;
  /** Node i's seeds: by default everyone joins through node 0. */
  seedsOf?: (index: number) => number[];
  /** Called for every delivery, in order (to check ordering, for example). */
  onDeliver?: (node: number, delivery: Delivery, now: number) => void;
  /**
   * Runs every node on one shared core, as one process hosting them all does (the loopback
   * benchmarks): each input takes the core for a while, and an event that comes while it is busy
   * waits, in arrival order, and is then handled late, as a socket read or a timer is in a busy
   * event loop. Unset: every event is handled at its time, on a core of its own.
   */
  cpu?: SharedCpu;
}

/** Costs of the one core a {@linkcode Simulation} may run its nodes on (virtual ms). */
export interface SharedCpu {
  /** A datagram handed to an engine (with what it sends), or a publish. */
  datagramMs: number;
  /** A tick (a timer firing). @default {datagramMs / 2} */
  tickMs?: number;
}

/**
 * Marks a tick in the event queue's second integer (a datagram carries its sender there: a node
 * index, or -2 - k for the k-th address that injected datagrams claim to come from).
 */
const TICK = -1;
/** Datagrams one node takes in one event-loop turn at most (the UDP transport's receive calls). */
const TURN_BATCH = 8;

/** What the simulator recorded about one published message. */
export interface MessageRecord {
  /** The message id. */
  id: MessageId;
  /** Index of the publishing node. */
  publisher: number;
  /** Virtual time of publication. */
  publishedAt: number;
  /** Virtual time of each node's first delivery (publisher included, at publishedAt). */
  deliveredAt: Map<number, number>;
  /** Largest hop count any node received it with. */
  maxHops: number;
}

/** Address of simulated node `i`. */
export function simAddress(i: number): Address {
  const n = i + 1;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}:7946`;
}

/**
 * The string object the wire decoder hands out for `address` (its cache's), so that the sources
 * the simulator passes to engines and the addresses engines decode from frames are one object:
 * the engines' maps then match keys by pointer instead of comparing the text of two copies.
 */
function canonical(address: Address): Address {
  const wire = new Uint8Array(19);
  const end = writeAddress(address, wire, 0);
  return end < 0 ? address : readAddress(wire, 0)?.address ?? address;
}

/** Many engines on one virtual clock and one simulated network. */
export class Simulation {
  /** The engines, by node index. */
  readonly engines: Engine[] = [];
  /** Whether each node is running. */
  readonly alive: boolean[] = [];
  /** Group of each node while partitioned; undefined when whole. */
  groups: number[] | undefined;
  /** What was recorded about each published message. */
  readonly messages: Map<MessageId, MessageRecord> = new Map();
  /** Deliveries seen, including duplicates handed to the application (must stay 0). */
  duplicateDeliveries = 0;
  /** Current virtual time in ms. */
  now: number = 0;
  /** Datagrams handed to engines so far (a measure of the simulation's work). */
  datagramsDelivered = 0;
  /** Ticks run so far. */
  ticksRun = 0;
  /** With a shared core: the virtual ms it was busy, and how late events were handled at most. */
  readonly cpu = { busyMs: 0, maxLagMs: 0 };
  #cpuFreeAt = 0;
  // Events: (node, TICK) for a tick, (to, from, bytes) for a datagram.
  readonly #queue = new EventQueue<Uint8Array>();
  /** Source addresses of injected datagrams, by the index their events carry. */
  readonly #injectedSources: Address[] = [];
  readonly #injectedIndex = new Map<Address, number>();
  /**
   * Per-link fault hook (see faults.ts): a datagram from node `from` to node `to` is dropped when
   * it returns false. Consulted after partitions, before random loss.
   */
  linkFilter: ((from: number, to: number) => boolean) | undefined = undefined;
  /**
   * Receives what nodes send to addresses that are not nodes (adversaries, spoofed sources; see
   * adversary.ts). Called at send time.
   */
  external: ((from: number, to: Address, bytes: Uint8Array) => void) | undefined = undefined;
  readonly #net: Prng;
  readonly #loss: number;
  readonly #delay: number;
  readonly #jitter: number;
  readonly #index = new Map<Address, number>();
  // Each node's address, built once: formatting it per datagram was a measurable share of a run.
  readonly #addresses: Address[] = [];
  readonly #tickAt: Float64Array;
  readonly #options: SimulationOptions;
  #liveCount = 0;
  // Live nodes holding each message, kept as deliveries happen so that fullyDelivered() is O(1)
  // (it runs after every datagram inside stop predicates).
  readonly #holders = new Map<MessageId, number>();

  /**
   * Builds the nodes; call {@linkcode Simulation.startAll} to boot them.
   *
   * @param options The network and the protocol settings.
   */
  constructor(options: SimulationOptions) {
    this.#options = options;
    const seed = options.seed ?? 1;
    this.#net = seededPrng(seed);
    this.#loss = options.loss ?? 0;
    this.#delay = options.delayMs ?? 10;
    this.#jitter = options.jitterMs ?? 5;
    this.#tickAt = new Float64Array(options.nodes).fill(Infinity);
    for (let i = 0; i < options.nodes; i++) {
      const address = canonical(simAddress(i));
      this.#addresses.push(address);
      this.#index.set(address, i);
    }
    for (let i = 0; i < options.nodes; i++) this.#boot(i, seed);
    this.#liveCount = options.nodes;
  }

  #boot(i: number, seed: number): void {
    const seedsOf = this.#options.seedsOf ?? ((n: number) => (n === 0 ? [] : [0]));
    const engine = new Engine({
      ...this.#options.gossip,
      ...this.#options.gossipOf?.(i),
      rng: seededPrng((seed * 1_000_003 + i * 7919 + this.engines.length) >>> 0),
      seeds: seedsOf(i).map((k) => this.#addresses[k] ?? simAddress(k)),
    });
    this.engines[i] = engine;
    this.alive[i] = true;
    this.#tickAt[i] = Infinity;
  }

  #setAlive(i: number, alive: boolean): void {
    if (this.alive[i] === alive) return;
    this.alive[i] = alive;
    this.#liveCount += alive ? 1 : -1;
    for (const [id, record] of this.messages) {
      if (record.deliveredAt.has(i)) {
        this.#holders.set(id, this.#holders.get(id)! + (alive ? 1 : -1));
      }
    }
  }

  /** Starts every node, spread over the first `spreadMs` of virtual time. */
  startAll(spreadMs = 0): void {
    for (let i = 0; i < this.engines.length; i++) {
      const at = this.now + (spreadMs > 0 ? Math.floor(this.#net() * spreadMs) : 0);
      this.#schedule(i, at);
    }
  }

  /** Publishes `data` from node `i` at the current virtual time (later if the core is busy). */
  publish(i: number, data: Uint8Array): MessageId {
    this.#take(this.#options.cpu?.datagramMs);
    const id = this.engines[i]!.publish(data, this.now);
    this.messages.set(id, {
      id,
      publisher: i,
      publishedAt: this.now,
      deliveredAt: new Map([[i, this.now]]),
      maxHops: 0,
    });
    this.#holders.set(id, this.alive[i] ? 1 : 0);
    this.drain(i);
    return id;
  }

  /**
   * Delivers `bytes` to node `to` as if sent from `source` (any address, forged or not), one link
   * delay from now (or after `delayMs`).
   */
  inject(source: Address, to: number, bytes: Uint8Array, delayMs: number = this.#delay): void {
    if (typeof source !== "string") {
      throw new TypeError("Simulation.inject() needs a source address string");
    }
    let k = this.#injectedIndex.get(source);
    if (k === undefined) {
      k = this.#injectedSources.length;
      this.#injectedSources.push(source);
      this.#injectedIndex.set(source, k);
    }
    this.#queue.push(this.now + delayMs, to, -2 - k, bytes);
  }

  /** Index of the node at `address`, or undefined when no node has it. */
  indexOf(address: Address): number | undefined {
    return this.#index.get(address);
  }

  /** Crashes node `i`: it stops receiving, sending and ticking. */
  kill(i: number): void {
    this.#setAlive(i, false);
  }

  /** Restarts node `i` as a new incarnation (fresh engine, fresh node id). */
  restart(i: number): void {
    this.#setAlive(i, true);
    this.#boot(i, this.#options.seed ?? 1);
    this.#schedule(i, this.now);
  }

  /** Splits the network: datagrams between nodes of different groups are dropped. */
  partition(groups: number[]): void {
    this.groups = groups;
  }

  /** Ends a partition. */
  heal(): void {
    this.groups = undefined;
  }

  /** Live nodes. */
  liveNodes(): number[] {
    const live: number[] = [];
    for (let i = 0; i < this.alive.length; i++) if (this.alive[i]) live.push(i);
    return live;
  }

  /** Number of live nodes. */
  liveCount(): number {
    return this.#liveCount;
  }

  /** The address of node `i` (the same string every time). */
  addressOf(i: number): Address {
    return this.#addresses[i]!;
  }

  /** Live nodes that hold message `id` (0 when unknown). */
  holders(id: MessageId): number {
    return this.#holders.get(id) ?? 0;
  }

  /** True when every live node holds message `id`. O(1). */
  fullyDelivered(id: MessageId): boolean {
    const held = this.#holders.get(id);
    return held !== undefined && held === this.#liveCount;
  }

  /**
   * Runs events until virtual time `until`, or earlier when `stop()` returns true (checked after
   * every delivery-bearing event). Returns the virtual time reached.
   */
  run(until: number, stop?: () => boolean): number {
    if (this.#options.cpu) return this.#runTurns(this.#options.cpu, until, stop);
    const queue = this.#queue;
    while (queue.peekTime() <= until) {
      const at = queue.pop();
      this.now = at;
      const node = queue.a;
      const from = queue.b;
      if (from === TICK) {
        if (this.#tickAt[node] !== at || !this.alive[node]) continue;
        this.#tickAt[node] = Infinity;
        this.ticksRun++;
        this.engines[node]!.tick(at);
        this.drain(node);
      } else {
        const bytes = queue.ref!;
        if (!this.alive[node]) continue;
        this.datagramsDelivered++;
        const source = from >= 0 ? this.#addresses[from]! : this.#injectedSources[-2 - from]!;
        this.engines[node]!.receive(bytes, source, at);
        this.drain(node);
        if (stop?.()) return this.now;
      }
    }
    this.now = Math.max(this.now, until);
    return this.now;
  }

  /**
   * {@linkcode Simulation.run} on one shared core, in event-loop turns: when the core is free,
   * it takes every event that has arrived by then, each node's datagrams as one batch (at most
   * {@linkcode TURN_BATCH}, as the UDP transport's receive calls hand over) and its tick, and
   * handles them one after the other, each taking the core for its cost. What arrives meanwhile
   * waits for the next turn.
   */
  #runTurns(cpu: SharedCpu, until: number, stop?: () => boolean): number {
    const queue = this.#queue;
    const tickMs = cpu.tickMs ?? cpu.datagramMs / 2;
    const batches = new Map<number, { bytes: Uint8Array; from: Address }[]>();
    const ticks: number[] = [];
    const later: { at: number; node: number; from: number; bytes: Uint8Array }[] = [];
    while (queue.peekTime() <= until) {
      const first = queue.peekTime();
      const turnAt = Math.max(first, this.#cpuFreeAt);
      this.cpu.maxLagMs = Math.max(this.cpu.maxLagMs, turnAt - first);
      while (queue.peekTime() <= turnAt) {
        const at = queue.pop();
        const node = queue.a;
        const from = queue.b;
        if (from === TICK) {
          if (this.#tickAt[node] !== at || !this.alive[node]) continue;
          this.#tickAt[node] = Infinity;
          ticks.push(node);
          continue;
        }
        if (!this.alive[node]) continue;
        let batch = batches.get(node);
        if (batch === undefined) batches.set(node, batch = []);
        if (batch.length >= TURN_BATCH) {
          later.push({ at, node, from, bytes: queue.ref! });
          continue;
        }
        const source = from >= 0 ? this.#addresses[from]! : this.#injectedSources[-2 - from]!;
        batch.push({ bytes: queue.ref!, from: source });
      }
      for (const e of later) queue.push(e.at, e.node, e.from, e.bytes);
      later.length = 0;
      this.now = turnAt;
      for (const [node, batch] of batches) {
        this.#take(batch.length * cpu.datagramMs);
        this.datagramsDelivered += batch.length;
        this.engines[node]!.receiveBatch(batch, this.now);
        this.drain(node);
      }
      batches.clear();
      for (const node of ticks) {
        this.#take(tickMs);
        this.ticksRun++;
        this.engines[node]!.tick(this.now);
        this.drain(node);
      }
      ticks.length = 0;
      if (stop?.()) return this.now;
    }
    this.now = Math.max(this.now, until);
    return this.now;
  }

  /** With a shared core: waits for it (moving `now` on), then holds it for `costMs`. */
  #take(costMs: number | undefined): void {
    if (costMs === undefined) return;
    if (this.#cpuFreeAt > this.now) {
      this.cpu.maxLagMs = Math.max(this.cpu.maxLagMs, this.#cpuFreeAt - this.now);
      this.now = this.#cpuFreeAt;
    }
    this.#cpuFreeAt = this.now + costMs;
    this.cpu.busyMs += costMs;
  }

  /**
   * Carries out node `i`'s output batch at the current time: records its deliveries, sends its
   * datagrams, schedules its next tick. The simulator does this after each input it makes; call
   * it after calling one of `engines[i]`'s inputs directly.
   */
  drain(i: number): void {
    const ready = this.engines[i]!.ready();
    const deliveries = ready.deliveries;
    for (let k = 0; k < deliveries.length; k++) this.#record(i, deliveries[k]!);
    const to = ready.to;
    const datagrams = ready.datagrams;
    for (let k = 0; k < to.length; k++) this.#send(i, to[k]!, datagrams[k]!);
    this.#schedule(i, ready.deadline);
  }

  #send(from: number, to: Address, bytes: Uint8Array): void {
    if (!this.alive[from]) return;
    const target = this.#index.get(to);
    if (target === undefined) {
      this.external?.(from, to, bytes);
      return;
    }
    if (this.groups && this.groups[from] !== this.groups[target]) return;
    if (this.linkFilter && !this.linkFilter(from, target)) return;
    if (this.#loss > 0 && this.#net() < this.#loss) return;
    const delay = this.#delay + (this.#jitter > 0 ? this.#net() * this.#jitter : 0);
    this.#queue.push(this.now + delay, target, from, bytes);
  }

  #record(node: number, message: Delivery): void {
    this.#options.onDeliver?.(node, message, this.now);
    const record = this.messages.get(message.id);
    if (!record) return;
    if (record.deliveredAt.has(node)) {
      this.duplicateDeliveries++;
      return;
    }
    record.deliveredAt.set(node, this.now);
    if (this.alive[node]) this.#holders.set(message.id, this.#holders.get(message.id)! + 1);
    record.maxHops = Math.max(record.maxHops, message.hops);
  }

  #schedule(i: number, at: number): void {
    if (at < this.#tickAt[i]!) {
      this.#tickAt[i] = at;
      this.#queue.push(at, i, TICK);
    }
  }
}
