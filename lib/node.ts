/**
 * {@linkcode GossipNode}: the protocol {@linkcode Engine} bound to a UDP transport, the real clock
 * and timers. This is what an application uses.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { Discovery } from "./discovery/discovery.ts";
import { discoverAll } from "./discovery/discovery.ts";
import { type DnsResolver, resolveAddresses } from "./discovery/resolve.ts";
import { type Delivery, Engine, type EngineStats, type PeerEvent } from "./engine/engine.ts";
import { type Prng, seededPrng } from "./engine/prng.ts";
import { GossipError } from "./errors.ts";
import type { GossipOptions } from "./options.ts";
import { DeliveryQueue } from "./node_queue.ts";
import { openTransport, transportStats } from "./transport/open_transport.ts";
import type { Transport } from "./transport/transport.ts";
import type { TransportStats } from "./transport/udp_transport.ts";
import type { Address } from "./wire/address.ts";
import type { MessageId } from "./wire/message_id.ts";

const logger = getLogger(["starling", "node"]);

/** Options of {@linkcode GossipNode.start}: the protocol options plus the node's I/O. */
export interface NodeOptions extends GossipOptions {
  /** Where to bind UDP, `"host:port"`; port 0 picks a free one. @default {"127.0.0.1:0"} */
  listen?: Address;
  /** A transport to run on instead of binding one (in-memory, lossy, sealed...). */
  transport?: Transport;
  /** Where to find peers besides `seeds`; asked at start and every `discoveryIntervalMs`. */
  discovery?: Discovery | Discovery[];
  /** Period of rediscovery, so partitions heal and replaced peers are found. @default {10000} */
  discoveryIntervalMs?: number;
  /** Seed of the protocol's random choices; random when omitted. */
  seed?: number;
  /** Random source of the protocol; overrides `seed`. */
  rng?: Prng;
  /** Node id (40 bits) to use instead of a random one. */
  nodeId?: number;
  /**
   * Messages each `messages()` iterator buffers for a slow reader; the oldest is dropped (and
   * counted in `stats().node.messagesDropped`) when full. @default {1024}
   */
  messageQueueSize?: number;
  /** DNS lookups of seed and discovered host names. @default {Deno.resolveDns} */
  resolver?: DnsResolver;
}

/** Counters of the node itself (the engine and transport have their own). */
export interface NodeCounters {
  /** Messages handed to listeners and iterators. */
  delivered: number;
  /** Messages dropped from full `messages()` queues. */
  messagesDropped: number;
  /** Discovery rounds run. */
  discoveryRounds: number;
  /** Candidates handed to the engine by discovery, over all rounds. */
  discovered: number;
  /** Errors thrown by {@linkcode GossipNode.onMessage} handlers (logged, never propagated). */
  listenerErrors: number;
}

/** Everything {@linkcode GossipNode.stats} reports. */
export interface NodeStats {
  /** The engine's protocol counters. */
  engine: EngineStats;
  /** The transport's socket counters. */
  transport: TransportStats;
  /** The node's own counters. */
  node: NodeCounters;
  /** Peers the engine currently knows. */
  peers: number;
  /** Milliseconds since the node started. */
  uptimeMs: number;
}

/** The `"message"` event a {@linkcode GossipNode} dispatches; `detail` is the delivery. */
export type DeliveryEvent = CustomEvent<Delivery>;

/**
 * A gossip node on UDP. Every message published anywhere in the cluster reaches this node once.
 *
 * Received messages come two ways; use either or both:
 * - `for await (const delivery of node.messages())`: an async iterator, bounded per reader;
 * - `node.addEventListener("message", (event) => (event as DeliveryEvent).detail)`: a
 *   `CustomEvent<Delivery>` per message (or the typed shortcut {@linkcode GossipNode.onMessage}).
 *
 * Neighbour changes come as `"peer"` events, a `CustomEvent<PeerEvent>`.
 *
 * Subscribe right after `start()` resolves: messages are not buffered for readers that come later.
 *
 * @example
 * ```ts ignore
 * import { GossipNode } from "./node.ts";
 * await using a = await GossipNode.start({ listen: "127.0.0.1:0" });
 * await using b = await GossipNode.start({ seeds: [a.address] });
 * a.onMessage((m) => console.log(new TextDecoder().decode(m.data)));
 * b.publish(new TextEncoder().encode("hello"));
 * ```
 */
export class GossipNode extends EventTarget {
  #engine: Engine;
  #transport: Transport;
  #discoveries: Discovery[];
  #discoveryIntervalMs: number;
  #resolver: DnsResolver | undefined;
  #queueSize: number;
  #started = performance.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #discoveryTimer: ReturnType<typeof setTimeout> | undefined;
  #receiveLoop: Promise<void> = Promise.resolve();
  #discovering: Promise<void> = Promise.resolve();
  #pending: Delivery[] = [];
  #pendingPeers: PeerEvent[] = [];
  #readers = new Set<DeliveryQueue>();
  #inEngine = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #counters: NodeCounters = {
    delivered: 0,
    messagesDropped: 0,
    discoveryRounds: 0,
    discovered: 0,
    listenerErrors: 0,
  };

  private constructor(
    options: NodeOptions,
    transport: Transport,
    seeds: Address[],
    discoveries: Discovery[],
  ) {
    super();
    this.#transport = transport;
    this.#discoveries = discoveries;
    this.#discoveryIntervalMs = options.discoveryIntervalMs ?? 10_000;
    this.#resolver = options.resolver;
    this.#queueSize = options.messageQueueSize ?? 1024;
    const rng = options.rng ?? seededPrng(options.seed ?? randomSeed());
    const gossip: GossipOptions = { ...pickGossipOptions(options), seeds };
    this.#engine = new Engine(
      { ...gossip, rng, ...(options.nodeId === undefined ? {} : { nodeId: options.nodeId }) },
      {
        send: (to, datagram) => {
          // Fire and forget: transports count their own failures and never re-enter the engine.
          this.#transport.send(to, datagram).catch(() => {});
        },
        deliver: (message) => {
          this.#pending.push(message);
        },
        peer: (event) => {
          this.#pendingPeers.push(event);
        },
      },
    );
  }

  /**
   * Binds the transport, resolves seeds (host names become IPs; bad entries are logged and
   * skipped), starts the engine and the first discovery round.
   *
   * @throws {GossipError} `invalid_option` for a bad option or listen address, `transport` when
   * the socket cannot be bound.
   */
  static async start(options: NodeOptions = {}): Promise<GossipNode> {
    const interval = options.discoveryIntervalMs ?? 10_000;
    if (!Number.isInteger(interval) || interval < 10) {
      throw new GossipError(
        "invalid_option",
        `Invalid option discoveryIntervalMs: ${interval} is not a whole number of at least 10`,
      );
    }
    const queueSize = options.messageQueueSize ?? 1024;
    if (!Number.isInteger(queueSize) || queueSize < 1) {
      throw new GossipError(
        "invalid_option",
        `Invalid option messageQueueSize: ${queueSize} is not a whole number of at least 1`,
      );
    }
    const discoveries = options.discovery === undefined
      ? []
      : Array.isArray(options.discovery)
      ? options.discovery
      : [options.discovery];
    const seeds = await resolveAddresses(options.seeds ?? [], "seeds", options.resolver);
    const transport = options.transport ?? await openTransport(options.listen ?? "127.0.0.1:0");
    let node: GossipNode;
    try {
      node = new GossipNode(options, transport, seeds, discoveries);
    } catch (error) {
      await transport.close();
      throw error;
    }
    node.#run();
    return node;
  }

  #run(): void {
    this.#engineCall(() => this.#engine.start(this.#now()));
    this.#receiveLoop = this.#receive();
    if (this.#discoveries.length > 0) this.#discovering = this.#discover();
    logger.info("Node {id} listening on {address}", {
      id: this.id,
      address: this.address,
    });
  }

  async #receive(): Promise<void> {
    try {
      for await (const packet of this.#transport) {
        if (this.#closed) break;
        this.#engineCall(() => this.#engine.receive(packet.bytes, packet.from, this.#now()));
      }
    } catch (error) {
      if (!this.#closed) logger.error("Receive loop failed: {error}", { error: String(error) });
      return;
    }
    if (!this.#closed) logger.error("Transport ended while the node is open");
  }

  async #discover(): Promise<void> {
    if (this.#closed) return;
    const found = await discoverAll(this.#discoveries);
    if (this.#closed) return;
    this.#counters.discoveryRounds++;
    const others = found.filter((address) => address !== this.address);
    this.#counters.discovered += others.length;
    if (others.length > 0) {
      this.#engineCall(() => this.#engine.addSeeds(others, this.#now()));
    }
    this.#discoveryTimer = setTimeout(() => {
      this.#discoveryTimer = undefined;
      this.#discovering = this.#discover();
    }, this.#discoveryIntervalMs);
  }

  /** Runs one engine call, then hands out what it delivered and re-arms the timer. */
  #engineCall(call: () => void): void {
    this.#inEngine = true;
    try {
      call();
    } finally {
      this.#inEngine = false;
    }
    this.#flush();
    this.#arm();
  }

  #flush(): void {
    if (this.#pendingPeers.length > 0) {
      const events = this.#pendingPeers;
      this.#pendingPeers = [];
      for (const detail of events) {
        if (!this.#closed) this.dispatchEvent(new CustomEvent<PeerEvent>("peer", { detail }));
      }
    }
    while (this.#pending.length > 0 && !this.#closed) {
      const batch = this.#pending;
      this.#pending = [];
      for (const delivery of batch) {
        this.#counters.delivered++;
        for (const reader of this.#readers) {
          if (!reader.push(delivery)) this.#counters.messagesDropped++;
        }
        // A raw addEventListener listener that throws is reported like any event listener error
        // (globalThis "error" event); onMessage() handlers are caught and counted instead.
        this.dispatchEvent(new CustomEvent<Delivery>("message", { detail: delivery }));
      }
    }
  }

  #arm(): void {
    if (this.#closed) return;
    const at = this.#engine.deadline();
    if (at === this.#timerAt && this.#timer !== undefined) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (!Number.isFinite(at)) return;
    const delay = Math.max(0, Math.ceil(at - this.#now()));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      if (this.#closed) return;
      this.#engineCall(() => this.#engine.tick(this.#now()));
    }, delay);
  }

  #now(): number {
    return performance.now() - this.#started;
  }

  /** This node's 40-bit id, as the origin of the messages it publishes. */
  get id(): number {
    return this.#engine.nodeId;
  }

  /** The bound address, `"host:port"`, for other nodes' `seeds`. */
  get address(): Address {
    return this.#transport.localAddress;
  }

  /** The largest payload {@linkcode GossipNode.publish} accepts, in bytes. */
  get maxPayloadSize(): number {
    return this.#engine.maxPayloadSize;
  }

  /** True once {@linkcode GossipNode.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `data` to every node of the cluster. Returns the message id (other nodes see it in
   * their `Delivery.id`). This node does not deliver its own message to itself.
   *
   * @throws {GossipError} `payload_too_large` above {@linkcode GossipNode.maxPayloadSize},
   * `closed` after {@linkcode GossipNode.close}.
   */
  publish(data: Uint8Array, flags?: number): MessageId {
    if (this.#closed) {
      throw new GossipError("closed", "Cannot publish: the node is closed; start a new one");
    }
    if (this.#inEngine) {
      throw new GossipError("closed", "Cannot publish from inside an engine callback");
    }
    if (data.length > this.#engine.maxPayloadSize) {
      throw new GossipError(
        "payload_too_large",
        `Cannot publish ${data.length} bytes: the limit is ${this.#engine.maxPayloadSize}; ` +
          "split the payload or raise maxDatagramSize",
      );
    }
    let id: MessageId = 0n;
    this.#engineCall(() => {
      id = this.#engine.publish(data, this.#now(), flags);
    });
    return id;
  }

  /**
   * An async iterator over messages delivered from now on. Each call makes an independent
   * reader with its own bounded queue (`messageQueueSize`). Ends when the node closes or the
   * loop is left.
   */
  messages(): AsyncIterableIterator<Delivery> {
    const queue = new DeliveryQueue(this.#queueSize, (q) => this.#readers.delete(q));
    if (this.#closed) queue.end();
    else this.#readers.add(queue);
    return queue;
  }

  /**
   * Calls `handler` for every delivered message; returns a function that unsubscribes. A handler
   * that throws is logged and counted (`stats().node.listenerErrors`), never propagated.
   */
  onMessage(handler: (delivery: Delivery) => void): () => void {
    const listener = (event: Event): void => {
      try {
        handler((event as DeliveryEvent).detail);
      } catch (error) {
        this.#counters.listenerErrors++;
        logger.error("A message handler threw: {error}", { error: String(error) });
      }
    };
    this.addEventListener("message", listener);
    return () => this.removeEventListener("message", listener);
  }

  /** Peers the engine currently knows. */
  peers(): Address[] {
    return this.#engine.peers();
  }

  /** Feeds candidate peers to the engine now (host names are resolved first). */
  async addSeeds(addresses: readonly string[]): Promise<void> {
    const list = await resolveAddresses(addresses, "addSeeds", this.#resolver);
    if (this.#closed) return;
    this.#engineCall(() => this.#engine.addSeeds(list, this.#now()));
  }

  /** Counters of the engine, the transport and the node. */
  stats(): NodeStats {
    return {
      engine: this.#engine.stats(),
      transport: transportStats(this.#transport),
      node: { ...this.#counters },
      peers: this.#engine.peers().length,
      uptimeMs: Math.round(this.#now()),
    };
  }

  /** Stops timers, closes the transport and ends every `messages()` iterator. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#discoveryTimer !== undefined) clearTimeout(this.#discoveryTimer);
    this.#timer = undefined;
    this.#discoveryTimer = undefined;
    for (const reader of this.#readers) reader.end();
    this.#readers.clear();
    await this.#transport.close();
    await this.#receiveLoop;
    await this.#discovering;
    if (this.#discoveryTimer !== undefined) clearTimeout(this.#discoveryTimer);
  }

  /** Same as {@linkcode GossipNode.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

function pickGossipOptions(options: NodeOptions): GossipOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!NODE_KEYS.has(key) && value !== undefined) out[key] = value;
  }
  return out as GossipOptions;
}

const NODE_KEYS = new Set([
  "listen",
  "transport",
  "discovery",
  "discoveryIntervalMs",
  "seed",
  "rng",
  "nodeId",
  "messageQueueSize",
  "resolver",
  "seeds",
]);
