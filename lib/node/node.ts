/**
 * {@linkcode GossipNode}: the protocol {@linkcode Engine} bound to a UDP transport, the real clock
 * and timers. This is what an application uses. The pump between engine, clock, timers and
 * transport lives in driver.ts, the receive loop in receive.ts, the discovery refresh in
 * discovery.ts, the transport stack (sealing, signatures) in security.ts; this file binds them
 * together and turns the engine's outputs into events and async iterators.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { Discovery } from "../discovery/discovery.ts";
import { type DnsResolver, resolveAddresses } from "../discovery/resolve.ts";
import type { Delivery, Engine, PeerEvent } from "../engine/engine.ts";
import { seededPrng } from "../core/prng.ts";
import { checkPublishArguments } from "../argument_checks.ts";
import { BoundedQueue } from "../bounded_queue.ts";
import { GossipError } from "../errors.ts";
import { DEFAULT_OPTIONS, NODE_DEFAULTS } from "../defaults.ts";
import type { GossipOptions } from "../options.ts";
import {
  type NodeCounters,
  type NodeOptions,
  type NodeStats,
  pickGossipOptions,
  validateNodeOptions,
} from "./options.ts";
import { DiscoveryLoop, isOwnAddress, resolveSeeds, SeedRetry } from "./discovery.ts";
import { EngineDriver } from "./driver.ts";
import { pumpDatagrams } from "./receive.ts";
import { openListenTransport } from "./listen.ts";
import { DeliveryMarks } from "./state.ts";
import { prepareSecurity, secureTransport } from "./security.ts";
import type { Keyring } from "../security/keyring.ts";
import type { SignatureStats } from "../security/signature_filter.ts";
import type { SignatureTransport } from "../security/signature_transport.ts";
import { transportStats } from "../transport/open_transport.ts";
import type { Transport } from "../transport/transport.ts";
import type { Address } from "../wire/address.ts";
import type { MessageId } from "../wire/message_id.ts";

export type { NodeCounters, NodeOptions, NodeStats, NodeTransportStats } from "./options.ts";
export type { NodeSecurityOptions } from "./security.ts";

const logger = getLogger(["starling", "node"]);

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
  #driver: EngineDriver;
  #engine: Engine;
  #transport: Transport;
  #signatures: SignatureTransport | undefined;
  #keyring: Keyring | undefined;
  #discovery: DiscoveryLoop;
  #seedRetry: SeedRetry;
  #resolver: DnsResolver | undefined;
  #queueSize: number;
  #receiveLoop: Promise<void> = Promise.resolve();
  #readers = new Set<BoundedQueue<Delivery>>();
  #marks: DeliveryMarks | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #counters: NodeCounters = {
    delivered: 0,
    messagesDropped: 0,
    discoveryRounds: 0,
    discovered: 0,
    seedRetries: 0,
    listenerErrors: 0,
    stateWriteErrors: 0,
  };

  private constructor(
    options: NodeOptions,
    transport: Transport,
    signatures: SignatureTransport | undefined,
    keyring: Keyring | undefined,
    seeds: Address[],
    unresolvedSeeds: string[],
    discoveries: Discovery[],
    marks: DeliveryMarks | undefined,
  ) {
    super();
    this.#marks = marks;
    this.#transport = transport;
    this.#signatures = signatures;
    this.#keyring = keyring;
    this.#resolver = options.resolver;
    this.#queueSize = options.messageQueueSize ?? NODE_DEFAULTS.messageQueueSize;
    const rng = options.rng ?? seededPrng(options.seed ?? randomSeed());
    const gossip: GossipOptions = { ...pickGossipOptions(options), seeds };
    // The sealing layer grows each datagram; the engine packs smaller ones so that what goes on
    // the wire still fits in maxDatagramSize.
    const overhead = transport.overhead ?? 0;
    if (overhead > 0) {
      gossip.maxDatagramSize = (options.maxDatagramSize ?? DEFAULT_OPTIONS.maxDatagramSize) -
        overhead;
    }
    this.#driver = new EngineDriver(
      {
        ...gossip,
        rng,
        datagramOverhead: overhead,
        ...(options.nodeId === undefined ? {} : { nodeId: options.nodeId }),
      },
      transport,
      {
        peers: (events) => this.#dispatchPeers(events),
        deliver: (batch) => this.#deliver(batch),
      },
    );
    this.#engine = this.#driver.engine;
    const engine = this.#engine;
    // A signature is verified once per message: copies of accepted ones are duplicates.
    if (signatures) signatures.seen = (id) => engine.hasSeen(id);
    if (marks) this.#engine.addDeliveredMarks(marks.entries());
    const counters = this.#counters;
    const target = {
      get address() {
        return transport.localAddress;
      },
      counters,
      addSeeds: (addresses: Address[]) =>
        this.#driver.call((now) => this.#engine.addSeeds(addresses, now)),
    };
    this.#discovery = new DiscoveryLoop(
      discoveries,
      options.discoveryIntervalMs ?? NODE_DEFAULTS.discoveryIntervalMs,
      target,
    );
    const resolved = this.#engine.options;
    this.#seedRetry = new SeedRetry(
      unresolvedSeeds,
      resolved.rejoinBackoffMs,
      resolved.rejoinBackoffMaxMs,
      target,
      options.resolver,
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
    validateNodeOptions(options);
    const discoveries = options.discovery === undefined
      ? []
      : Array.isArray(options.discovery)
      ? options.discovery
      : [options.discovery];
    const resolved = await resolveSeeds(options.seeds ?? [], options.resolver);
    const security = await prepareSecurity(options);
    const marks = options.stateDir === undefined
      ? undefined
      : await DeliveryMarks.open(options.stateDir);
    const { transport, signatures } = await secureTransport(
      options.transport ?? await openListenTransport(options.listen ?? NODE_DEFAULTS.listen, {
        // One byte more than the largest valid datagram, so oversized ones are seen as such.
        receiveBufferSize: (options.maxDatagramSize ?? DEFAULT_OPTIONS.maxDatagramSize) + 1,
      }),
      security,
    );
    let node: GossipNode;
    try {
      const seeds = resolved.addresses.filter((seed) => {
        if (!isOwnAddress(seed, transport.localAddress)) return true;
        logger.warn("Ignoring seed {seed}: it is this node's own address", { seed });
        return false;
      });
      node = new GossipNode(
        options,
        transport,
        signatures,
        security.sealing?.keyring,
        seeds,
        resolved.unresolved,
        discoveries,
        marks,
      );
    } catch (error) {
      await transport.close();
      throw error;
    }
    node.#run();
    return node;
  }

  #run(): void {
    this.#driver.call((now) => this.#engine.start(now));
    this.#receiveLoop = this.#receive();
    this.#discovery.start();
    this.#seedRetry.start();
    logger.info("Node {id} listening on {address}", {
      id: this.id,
      address: this.address,
    });
  }

  async #receive(): Promise<void> {
    try {
      await pumpDatagrams(this.#transport, this.#driver, () => this.#closed);
    } catch (error) {
      if (!this.#closed) logger.error("Receive loop failed: {error}", { error: String(error) });
      return;
    }
    if (!this.#closed) logger.error("Transport ended while the node is open");
  }

  #dispatchPeers(events: PeerEvent[]): void {
    for (const detail of events) {
      if (!this.#closed) this.dispatchEvent(new CustomEvent<PeerEvent>("peer", { detail }));
    }
  }

  #deliver(batch: Delivery[]): void {
    for (const delivery of batch) {
      this.#counters.delivered++;
      this.#marks?.note(delivery.id);
      for (const reader of this.#readers) {
        if (!reader.push(delivery)) this.#counters.messagesDropped++;
      }
      // A raw addEventListener listener that throws is reported like any event listener error
      // (globalThis "error" event); onMessage() handlers are caught and counted instead.
      this.dispatchEvent(new CustomEvent<Delivery>("message", { detail: delivery }));
    }
  }

  /** This node's 40-bit id, as the origin of the messages it publishes. */
  get id(): number {
    return this.#engine.nodeId;
  }

  /** The bound address, `"host:port"`, for other nodes' `seeds`. */
  get address(): Address {
    return this.#transport.localAddress;
  }

  /**
   * The largest payload {@linkcode GossipNode.publish} accepts, in bytes: `maxMessageSize`
   * (64 KiB by default; larger than one datagram goes as chunks). When signing,
   * {@linkcode GossipNode.publishSigned} takes what fits in one datagram after the sealing
   * overhead and the 64-byte signature (a signature covers one data frame).
   */
  get maxPayloadSize(): number {
    return this.signing ? this.#engine.maxSignedPayload : this.#engine.maxPayloadSize;
  }

  /** True when this node signs what it publishes (the `signing` option); use `publishSigned`. */
  get signing(): boolean {
    return this.#signatures?.filter.signing ?? false;
  }

  /**
   * The cluster keyring when datagrams are sealed (`keys`): install, use and remove keys on it at
   * runtime to rotate them without a restart (see docs/SECURITY.md).
   */
  get keyring(): Keyring | undefined {
    return this.#keyring;
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
   * `closed` after {@linkcode GossipNode.close}, `invalid_option` on a node with a `signing` key
   * (use {@linkcode GossipNode.publishSigned}), `invalid_argument` when `data` is not a
   * `Uint8Array` (encode text with `TextEncoder`) or `flags` is not a byte.
   */
  publish(data: Uint8Array, flags?: number): MessageId {
    checkPublishArguments(data, flags);
    if (this.signing) {
      throw new GossipError(
        "invalid_option",
        "Cannot publish unsigned from a node with a signing key: use await node.publishSigned()",
      );
    }
    this.#checkPublish(data);
    return this.#publishNow(data, flags ?? 0);
  }

  /**
   * Signs `data` with the node's `signing` key and sends it to every node of the cluster; nodes
   * with `acceptPublishers` deliver it only if they accept this key. Receivers get `data` without
   * the signature. Resolves to the message id.
   *
   * @throws {GossipError} `invalid_option` without a `signing` key, `payload_too_large` above
   * {@linkcode GossipNode.maxPayloadSize}, `closed` after {@linkcode GossipNode.close}.
   */
  async publishSigned(data: Uint8Array, flags?: number): Promise<MessageId> {
    checkPublishArguments(data, flags);
    const filter = this.#signatures?.filter;
    if (!filter?.signing) {
      throw new GossipError(
        "invalid_option",
        'Cannot sign: this node has no signing key; pass the signing option (see "starling ' +
          'keygen --signing")',
      );
    }
    this.#checkPublish(data);
    // The signature covers the message id: take one now, publish under it once signed (other
    // publishes meanwhile take other ids).
    const id = this.#engine.reserveId();
    const signature = await filter.sign(id, data);
    this.#checkPublish(data);
    this.#driver.call((now) => this.#engine.publishSigned(id, data, signature, now, flags));
    this.#marks?.note(id);
    return id;
  }

  #checkPublish(data: Uint8Array): void {
    if (this.#closed) {
      throw new GossipError("closed", "Cannot publish: the node is closed; start a new one");
    }
    if (data.length > this.maxPayloadSize) {
      throw new GossipError(
        "payload_too_large",
        `Cannot publish ${data.length} bytes: the limit is ${this.maxPayloadSize}; ` +
          (this.signing
            ? "a signed message must fit one datagram: split the payload or raise maxDatagramSize"
            : "split the payload or raise maxMessageSize (up to 1048576)"),
      );
    }
  }

  #publishNow(payload: Uint8Array, flags: number): MessageId {
    let id: MessageId = 0n;
    this.#driver.call((now) => {
      id = this.#engine.publish(payload, now, flags);
    });
    this.#marks?.note(id);
    return id;
  }

  /** A new reader's bounded queue (`messageQueueSize`, oldest dropped), closed with the node. */
  #reader(): BoundedQueue<Delivery> {
    const queue = new BoundedQueue<Delivery>(
      this.#queueSize,
      "drop-oldest",
      (q) => this.#readers.delete(q),
    );
    if (this.#closed) queue.close();
    else this.#readers.add(queue);
    return queue;
  }

  /**
   * An async iterator over messages delivered from now on. Each call makes an independent
   * reader with its own bounded queue (`messageQueueSize`). Ends when the node closes or the
   * loop is left.
   */
  messages(): AsyncIterableIterator<Delivery> {
    return this.#reader();
  }

  /**
   * Like {@linkcode GossipNode.messages}, but each step yields everything queued since the last
   * one (at least one message): a reader that writes somewhere slow takes a whole backlog per
   * write instead of one message per write, and so falls behind far less. Same bound and drop
   * policy as `messages()` (`messageQueueSize`, oldest dropped and counted).
   */
  messageBatches(): AsyncIterableIterator<Delivery[]> {
    const queue = this.#reader();
    return (async function* () {
      try {
        for (;;) {
          const batch = await queue.nextBatch();
          if (batch.length === 0) return;
          yield batch;
        }
      } finally {
        queue.close();
      }
    })();
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

  /** The neighbours of the active view: the links that `"peer"` events report up and down. */
  activePeers(): Address[] {
    return this.#engine.activePeers();
  }

  /** Feeds candidate peers to the engine now (host names are resolved first). */
  async addSeeds(addresses: readonly string[]): Promise<void> {
    const list = await resolveAddresses(addresses, "addSeeds", this.#resolver);
    if (this.#closed) return;
    this.#driver.call((now) => this.#engine.addSeeds(list, now));
  }

  /** Counters of the engine, the transport (with security) and the node, and signatures. */
  stats(): NodeStats {
    const { signatures, ...transport } = transportStats(this.#transport) as
      & NodeStats["transport"]
      & {
        signatures?: SignatureStats;
      };
    const stats: NodeStats = {
      engine: this.#engine.stats(),
      transport,
      node: { ...this.#counters, stateWriteErrors: this.#marks?.writeErrors ?? 0 },
      peers: this.#engine.peers().length,
      uptimeMs: Math.round(this.#driver.now()),
    };
    if (signatures) stats.signatures = signatures;
    return stats;
  }

  /** Stops timers, closes the transport and ends every `messages()` iterator. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    this.#driver.stop();
    const discoveryStopped = this.#discovery.stop();
    const retryStopped = this.#seedRetry.stop();
    for (const reader of this.#readers) reader.close();
    this.#readers.clear();
    this.#marks?.close();
    await this.#transport.close();
    await this.#receiveLoop;
    await discoveryStopped;
    await retryStopped;
  }

  /** Same as {@linkcode GossipNode.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}
