/**
 * A deterministic simulator: many engines in one process on virtual time, over a network with
 * per-link delay, jitter, loss and partitions, all drawn from one seed.
 *
 * The engines are the real ones; only the clock and the wire are simulated. The same seed and
 * the same calls replay the same run, event for event.
 *
 * @module
 */

import { Engine } from "../engine/engine.ts";
import type { Delivery } from "../engine/context.ts";
import { type Prng, seededPrng } from "../engine/prng.ts";
import type { GossipOptions } from "../options.ts";
import type { Address } from "../wire/address.ts";
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
  /** Node i's seeds: by default everyone joins through node 0. */
  seedsOf?: (index: number) => number[];
  /** Called for every delivery, in order (to check ordering, for example). */
  onDeliver?: (node: number, delivery: Delivery, now: number) => void;
}

type SimEvent =
  | { kind: "datagram"; to: number; from: number; bytes: Uint8Array }
  | { kind: "tick"; node: number };

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
  readonly #queue = new EventQueue<SimEvent>();
  readonly #net: Prng;
  readonly #loss: number;
  readonly #delay: number;
  readonly #jitter: number;
  readonly #index = new Map<Address, number>();
  readonly #tickAt: number[] = [];
  readonly #options: SimulationOptions;

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
    for (let i = 0; i < options.nodes; i++) this.#index.set(simAddress(i), i);
    for (let i = 0; i < options.nodes; i++) this.#boot(i, seed);
  }

  #boot(i: number, seed: number): void {
    const seedsOf = this.#options.seedsOf ?? ((n: number) => (n === 0 ? [] : [0]));
    const engine = new Engine({
      ...this.#options.gossip,
      rng: seededPrng((seed * 1_000_003 + i * 7919 + this.engines.length) >>> 0),
      seeds: seedsOf(i).map(simAddress),
    }, {
      send: (to, bytes) => this.#send(i, to, bytes),
      deliver: (message) => this.#record(i, message),
    });
    this.engines[i] = engine;
    this.alive[i] = true;
    this.#tickAt[i] = Infinity;
  }

  /** Starts every node, spread over the first `spreadMs` of virtual time. */
  startAll(spreadMs = 0): void {
    for (let i = 0; i < this.engines.length; i++) {
      const at = this.now + (spreadMs > 0 ? Math.floor(this.#net() * spreadMs) : 0);
      this.#schedule(i, at);
    }
  }

  /** Publishes `data` from node `i` at the current virtual time. */
  publish(i: number, data: Uint8Array): MessageId {
    const id = this.engines[i]!.publish(data, this.now);
    this.messages.set(id, {
      id,
      publisher: i,
      publishedAt: this.now,
      deliveredAt: new Map([[i, this.now]]),
      maxHops: 0,
    });
    this.#reschedule(i);
    return id;
  }

  /** Crashes node `i`: it stops receiving, sending and ticking. */
  kill(i: number): void {
    this.alive[i] = false;
  }

  /** Restarts node `i` as a new incarnation (fresh engine, fresh node id). */
  restart(i: number): void {
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
    return this.alive.flatMap((alive, i) => (alive ? [i] : []));
  }

  /** True when every live node holds message `id`. */
  fullyDelivered(id: MessageId): boolean {
    const record = this.messages.get(id);
    if (!record) return false;
    for (let i = 0; i < this.alive.length; i++) {
      if (this.alive[i] && !record.deliveredAt.has(i)) return false;
    }
    return true;
  }

  /**
   * Runs events until virtual time `until`, or earlier when `stop()` returns true (checked after
   * every delivery-bearing event). Returns the virtual time reached.
   */
  run(until: number, stop?: () => boolean): number {
    while (this.#queue.peekTime() <= until) {
      const event = this.#queue.pop()!;
      this.now = event.at;
      const value = event.value;
      if (value.kind === "tick") {
        const i = value.node;
        if (this.#tickAt[i] !== event.at || !this.alive[i]) continue;
        this.#tickAt[i] = Infinity;
        this.engines[i]!.tick(this.now);
        this.#reschedule(i);
      } else {
        if (!this.alive[value.to]) continue;
        this.engines[value.to]!.receive(value.bytes, simAddress(value.from), this.now);
        this.#reschedule(value.to);
        if (stop?.()) return this.now;
      }
    }
    this.now = Math.max(this.now, until);
    return this.now;
  }

  #send(from: number, to: Address, bytes: Uint8Array): void {
    const target = this.#index.get(to);
    if (target === undefined || !this.alive[from]) return;
    if (this.groups && this.groups[from] !== this.groups[target]) return;
    if (this.#loss > 0 && this.#net() < this.#loss) return;
    const delay = this.#delay + (this.#jitter > 0 ? this.#net() * this.#jitter : 0);
    this.#queue.push(this.now + delay, { kind: "datagram", to: target, from, bytes });
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
    record.maxHops = Math.max(record.maxHops, message.hops);
  }

  #schedule(i: number, at: number): void {
    if (at < this.#tickAt[i]!) {
      this.#tickAt[i] = at;
      this.#queue.push(at, { kind: "tick", node: i });
    }
  }

  #reschedule(i: number): void {
    this.#schedule(i, this.engines[i]!.deadline());
  }
}
