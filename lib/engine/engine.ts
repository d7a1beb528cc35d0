/**
 * The gossip protocol as a pure state machine.
 *
 * Inputs are calls (`receive`, `publish`, `tick`, `addSeeds`) that carry the current time and only
 * change state; their outputs (datagrams to send, deliveries, peer events and the time the engine
 * wants to be ticked next) wait in one batch that the driver takes with
 * {@linkcode Engine.ready} (see ready.ts). Nothing calls out of the engine while it runs, so a
 * driver's listeners may call it again freely. It never reads a clock, never draws global randomness (it is given a
 * seeded {@linkcode Prng}), never sleeps and never touches a socket, so the same engine runs on
 * real UDP inside `GossipNode`, thousands at a time in the simulator, and step by step in tests.
 *
 * @module
 */

import { checkPublishArguments } from "../argument_checks.ts";
import { GossipError } from "../errors.ts";
import {
  type GossipOptions,
  maxPayloadSize,
  type ResolvedOptions,
  resolveOptions,
} from "../options.ts";
import { Broadcaster } from "../broadcast/broadcaster.ts";
import { Membership } from "../membership/membership.ts";
import type { Address } from "../wire/address.ts";
import { decodeDatagram } from "../wire/codec.ts";
import { DataFlag, FrameType, SIGNATURE_BYTES, stripSignature } from "../wire/frame.ts";
import { type MessageId, NODE_ID_SPACE } from "../wire/message_id.ts";
import type { EngineContext } from "../core/context.ts";
import { AddressValidation } from "./address_validation.ts";
import { Outbox } from "../core/outbox.ts";
import { DatagramLimits } from "./datagram_limits.ts";
import { chunkDataSize, splitMessage } from "../broadcast/chunking.ts";
import type { Prng } from "../core/prng.ts";
import { countDrop, createCounters, type EngineCounters } from "../core/stats.ts";
import { type Ready, ReadyBatch } from "./ready.ts";
import { type EngineStats, engineStats, frameCounts } from "./engine_stats.ts";
import { checkPublishLimits, IdReservations, signedPayload } from "./publish_checks.ts";

export type { Delivery, PeerEvent } from "../core/context.ts";
export type { Ready } from "./ready.ts";
export type { EngineStats } from "./engine_stats.ts";

/** Peers whose datagram limit is remembered (least recently told first out). */
const LIMIT_PEERS = 2048;

/** Options of an {@linkcode Engine}: the protocol options plus its source of randomness. */
export interface EngineOptions extends GossipOptions {
  /** Seeded random source; the engine draws every random choice from it. */
  rng: Prng;
  /** This incarnation's 40-bit node id; drawn from `rng` when absent. */
  nodeId?: number;
  /**
   * Bytes a sealing layer adds to each datagram (`maxDatagramSize` is then the engine's share),
   * so that datagram limits told to and heard from peers are wire sizes. @default {0}
   */
  datagramOverhead?: number;
}

/**
 * One gossip node's protocol state.
 *
 * @example Two engines wired by hand
 * ```ts
 * import { Engine } from "./engine.ts";
 * import { seededPrng } from "../core/prng.ts";
 * const a = new Engine({ rng: seededPrng(1) });
 * const b = new Engine({ rng: seededPrng(2), seeds: ["10.0.0.1:1"] });
 * const engines: Record<string, Engine> = { "10.0.0.1:1": a, "10.0.0.2:1": b };
 * const wire: [string, string, Uint8Array][] = [];
 * const got: string[] = [];
 * // Takes each engine's batch: datagrams onto the wire, deliveries into `got`.
 * const drain = () => {
 *   for (const [self, engine] of Object.entries(engines)) {
 *     const ready = engine.ready();
 *     ready.datagrams.forEach((bytes, i) => wire.push([self, ready.to[i]!, bytes]));
 *     for (const m of ready.deliveries) got.push(new TextDecoder().decode(m.data));
 *   }
 * };
 * const pump = () => {
 *   for (drain(); wire.length; drain()) {
 *     const [from, to, bytes] = wire.shift()!;
 *     engines[to]!.receive(bytes, from, 0);
 *   }
 * };
 * a.start(0);
 * b.start(0);
 * pump();
 * b.publish(new TextEncoder().encode("hello"), 0);
 * pump();
 * if (got[0] !== "hello") throw new Error("a did not get it");
 * ```
 */
export class Engine {
  /** This incarnation's 40-bit node id. */
  readonly nodeId: number;
  /** Largest payload `publish()` accepts (`maxMessageSize`). */
  readonly maxPayloadSize: number;
  /**
   * Largest payload sent as one data frame, what every peer accepts in one datagram; larger
   * messages go as chunks (see lib/broadcast/chunking.ts).
   */
  readonly maxSinglePayload: number;
  /** Largest payload {@linkcode Engine.publishSigned} accepts: one data frame with the signature. */
  readonly maxSignedPayload: number;
  readonly #limits: DatagramLimits;
  /** The options in force, defaults filled in. */
  readonly options: ResolvedOptions;
  readonly #ctx: EngineContext;
  readonly #membership: Membership;
  readonly #broadcast: Broadcaster;
  readonly #counters: EngineCounters = createCounters();
  #deadline = Infinity;
  #started = false;
  #now = 0;
  readonly #validation: AddressValidation;
  /**
   * Sources of the datagrams handled since the last flush: what goes to them is a reply. The
   * first one has a field of its own, the others (batches from several peers) a set: clearing a
   * Map or Set allocates a new table, in V8's old space once the set is old, so a set cleared
   * after every datagram filled a 10,000-node simulation's heap with dead tables.
   */
  #replyFirst: Address | undefined = undefined;
  readonly #replyMore = new Set<Address>();
  /**
   * Frames received by type code; `stats()` turns them into `framesInByType`. A string-keyed
   * record updated per frame was a measurable share of a 10,000-node simulation.
   */
  readonly #framesByType = frameCounts();
  /** Outputs waiting for {@linkcode Engine.ready}. */
  readonly #ready = new ReadyBatch();
  /** Ids handed out by reserveId() and not yet published. */
  readonly #reserved = new IdReservations();

  /**
   * Creates an engine; call {@linkcode Engine.start} (or any input) to begin.
   *
   * @param options Protocol options and the random source.
   */
  constructor(options: EngineOptions) {
    const { rng, nodeId, datagramOverhead, ...rest } = options;
    if (typeof rng !== "function") {
      throw new GossipError(
        "invalid_option",
        "Invalid option rng: pass a function returning numbers in [0, 1)",
      );
    }
    this.options = resolveOptions(rest);
    this.nodeId = nodeId ?? Math.floor(rng() * NODE_ID_SPACE);
    const limits = new DatagramLimits(
      this.options.maxDatagramSize,
      datagramOverhead ?? 0,
      LIMIT_PEERS,
    );
    this.#limits = limits;
    this.maxPayloadSize = this.options.maxMessageSize;
    this.maxSinglePayload = Math.min(maxPayloadSize(limits.floor), this.maxPayloadSize);
    this.maxSignedPayload = Math.max(0, this.maxSinglePayload - SIGNATURE_BYTES);
    const counters = this.#counters;
    const ready = this.#ready;
    const validation = new AddressValidation(rng);
    this.#validation = validation;
    const outbox = new Outbox(
      this.options.maxDatagramSize,
      (to, datagram, frames) => {
        counters.datagramsOut++;
        counters.bytesOut += datagram.length;
        counters.framesOut += frames;
        ready.to.push(to);
        ready.datagrams.push(datagram);
      },
      (to, frames) => validation.gate(to, frames, this.#isReplyTo(to), this.#now),
      (to) => limits.limitFor(to),
    );
    this.#ctx = {
      nodeId: this.nodeId,
      rng,
      options: this.options,
      outbox,
      counters,
      deliver: (message) => {
        // A neighbour that hands us new messages is worth keeping (eclipse resistance).
        this.#membership.delivered(message.from);
        // The signature was checked below the engine (a transport decorator): hand out the data.
        message.data = stripSignature(message.data, message.flags);
        ready.deliveries.push(message);
      },
      wakeAt: (at) => {
        if (at < this.#deadline) this.#deadline = at;
      },
      isValidated: (address) => validation.isValid(address),
      peerEvent: (event) => {
        this.#broadcast.onPeerEvent(event);
        ready.peerEvents.push(event);
      },
    };
    this.#membership = new Membership(this.#ctx);
    this.#broadcast = new Broadcaster(this.#ctx, this.#membership);
  }

  /** Joins through the seeds and schedules the periodic work. Call once, before anything else. */
  start(now: number): void {
    this.#ready.renew();
    this.#start(now);
  }

  #start(now: number): void {
    if (now > this.#now) this.#now = now;
    if (this.#started) return;
    this.#started = true;
    this.#membership.start(now);
    this.#broadcast.start(now);
    this.#deadline = Math.min(this.#deadline, now + this.options.antiEntropyIntervalMs);
    this.#flush();
  }

  /** The id the next {@linkcode publish} call will assign. */
  nextMessageId(): MessageId {
    return this.#broadcast.nextMessageId();
  }

  /**
   * Takes a message id for a message published later with {@linkcode Engine.publishSigned}: the
   * driver signs the id and the payload meanwhile (Web Crypto is asynchronous), and publishes
   * that can come in between take other ids.
   *
   * @throws {GossipError} `invalid_argument` when 1,024 reserved ids wait to be published.
   */
  reserveId(): MessageId {
    return this.#reserved.reserve(() => this.#broadcast.reserveId());
  }

  /**
   * Publishes `data` with its origin `signature` under `id` (from {@linkcode reserveId}): the
   * data frame carries `data ‖ signature` with `DataFlag.Signed`, which receivers strip on delivery.
   * It must fit one datagram ({@linkcode Engine.maxSinglePayload} with the signature).
   *
   * @throws {GossipError} `invalid_argument` for an id not reserved (or already published) or a
   * signature that is not 64 bytes, `payload_too_large` when it does not fit one datagram.
   */
  publishSigned(
    id: MessageId,
    data: Uint8Array,
    signature: Uint8Array,
    now: number,
    flags = 0,
  ): MessageId {
    checkPublishArguments(data, flags);
    this.#reserved.check(id);
    const payload = signedPayload(data, signature);
    checkPublishLimits(
      payload,
      flags | DataFlag.Signed,
      this.maxPayloadSize,
      this.maxSinglePayload,
    );
    this.#reserved.delete(id);
    this.#ensureStarted(now);
    this.#broadcast.publish(payload, flags | DataFlag.Signed, now, id);
    this.#flush();
    return id;
  }

  /** True when a data frame with `id` was accepted (a copy now is a duplicate). */
  hasSeen(id: MessageId): boolean {
    return this.#broadcast.seen.has(id);
  }

  /**
   * Publishes `data` to the cluster and returns its id.
   *
   * A message larger than {@linkcode Engine.maxSinglePayload} goes as chunks; its id is its last
   * chunk's.
   *
   * @throws {GossipError} `payload_too_large` when `data` is larger than `maxMessageSize`, or
   * larger than one datagram with `flags` (a signature covers one data frame),
   * `invalid_argument` when `data` is not a `Uint8Array` or `flags` not a byte.
   */
  publish(data: Uint8Array, now: number, flags = 0): MessageId {
    checkPublishArguments(data, flags);
    checkPublishLimits(data, flags, this.maxPayloadSize, this.maxSinglePayload);
    this.#ensureStarted(now);
    const id = data.length > this.maxSinglePayload
      ? this.#broadcast.publishChunks(splitMessage(data, chunkDataSize(this.#limits.floor)), now)
      : this.#broadcast.publish(data, flags, now);
    this.#flush();
    return id;
  }

  /** Handles one datagram from the network. Never throws: bad input is dropped and counted. */
  receive(bytes: Uint8Array, from: Address, now: number): void {
    this.#ensureStarted(now);
    this.#receiveOne(bytes, from, now);
    this.#flush();
  }

  /**
   * Handles datagrams that arrived together, as {@linkcode Engine.receive} does each, but flushes
   * once at the end: replies to one peer share datagrams. Never throws.
   */
  receiveBatch(packets: readonly { bytes: Uint8Array; from: Address }[], now: number): void {
    this.#ensureStarted(now);
    for (const packet of packets) this.#receiveOne(packet.bytes, packet.from, now);
    this.#flush();
  }

  #receiveOne(bytes: Uint8Array, from: Address, now: number): void {
    const counters = this.#counters;
    counters.datagramsIn++;
    counters.bytesIn += bytes.length;
    if (this.#replyFirst === undefined) this.#replyFirst = from;
    else if (from !== this.#replyFirst) this.#replyMore.add(from);
    this.#validation.received(from, bytes.length);
    const decoded = decodeDatagram(bytes, this.options.maxDatagramSize);
    if (!decoded.ok) {
      countDrop(counters, decoded.reason);
      return;
    }
    this.#membership.heard(from, now);
    let challenged = false;
    let limit: number | undefined;
    this.#broadcast.history.heard(now);
    for (const frame of decoded.frames) {
      counters.framesIn++;
      this.#framesByType[frame.type]! += 1;
      if (frame.type === FrameType.Cookie) {
        challenged = this.#validation.onCookie(frame.echo, frame.value, from, now) || challenged;
        continue;
      }
      if (frame.type === FrameType.Pad) continue;
      if (frame.type === FrameType.DatagramLimit) {
        limit = frame.size;
        continue;
      }
      if (this.#broadcast.onFrame(frame, from, now)) continue;
      if (this.#membership.onFrame(frame, from, now)) continue;
      countDrop(counters, "unhandled_frame");
    }
    // After the other frames, which may show that `from` is this node itself.
    if (challenged) this.#membership.onChallenge(from, now);
    // After the other frames, which may prove the address (a cookie echo). A challenge means the
    // peer has not proven ours, so it ignored our limit: tell it again with the echo.
    if (limit !== undefined) this.#limits.onLimit(from, limit, this.#validation.isValid(from));
    if (challenged) this.#limits.forget(from);
    // A stranger gets a challenge back (within what it sent), whatever else it gets; not this
    // node itself (its own frames looped back), or the two would challenge each other forever.
    if (!this.#validation.isValid(from) && !this.#membership.isOwnAddress(from)) {
      this.#ctx.outbox.ensure(from);
    }
  }

  /** Runs whatever is due at `now`; returns the milliseconds until it wants to run again. */
  tick(now: number): number {
    this.#ensureStarted(now);
    const next = Math.min(this.#membership.tick(now), this.#broadcast.tick(now));
    this.#deadline = Math.max(next, now + 1);
    this.#flush();
    return this.#deadline - now;
  }

  /** The absolute time (same clock as `now`) of the next wanted {@linkcode tick}. */
  deadline(): number {
    return this.#deadline;
  }

  /**
   * Takes what the inputs since the last call want done: datagrams to send, deliveries, peer
   * events, and the deadline. The batch is the engine's own and valid until its next input or
   * `ready()` call; copy what listeners that may call the engine again are handed.
   *
   * @example
   * ```ts
   * import { Engine } from "./engine.ts";
   * import { seededPrng } from "../core/prng.ts";
   * const engine = new Engine({ rng: seededPrng(1), seeds: ["10.0.0.2:7946"] });
   * engine.start(0);
   * const ready = engine.ready();
   * if (ready.to[0] !== "10.0.0.2:7946") throw new Error("the join goes to the seed");
   * if (engine.ready().datagrams.length !== 0) throw new Error("taken once");
   * ```
   */
  ready(): Ready {
    const ready = this.#ready;
    ready.renew();
    ready.handedOut = true;
    ready.deadline = this.#deadline;
    return ready;
  }

  /** Adds candidate peers (from discovery) and joins through those not yet known. */
  addSeeds(addresses: readonly Address[], now: number): void {
    this.#ensureStarted(now);
    this.#membership.addSeeds(addresses, now);
    this.#flush();
  }

  /**
   * Adds delivery marks (origin node id → highest sequence number delivered before a restart):
   * messages at or below an origin's mark are recorded as seen but never delivered. The node
   * loads them from its state directory.
   */
  addDeliveredMarks(marks: Iterable<readonly [number, number]>): void {
    this.#broadcast.history.addMarks(marks);
  }

  /** The peers this node currently knows. */
  peers(): Address[] {
    return [...this.#membership.knownPeers()];
  }

  /** The active view: the symmetric neighbours broadcast trees run over. */
  activePeers(): Address[] {
    return [...this.#membership.activePeers()];
  }

  /** A snapshot of the counters. */
  stats(): EngineStats {
    return engineStats({
      counters: this.#counters,
      framesByType: this.#framesByType,
      nodeId: this.nodeId,
      now: this.#now,
      outbox: this.#ctx.outbox,
      membership: this.#membership,
      broadcast: this.#broadcast,
      limits: this.#limits,
      validation: this.#validation,
    });
  }

  #flush(): void {
    this.#broadcast.beforeFlush();
    const outbox = this.#ctx.outbox;
    this.#limits.tell(outbox.destinations(), (to, frame) => outbox.push(to, frame), this.#now);
    outbox.flush();
    this.#replyFirst = undefined;
    if (this.#replyMore.size > 0) this.#replyMore.clear();
  }

  #isReplyTo(to: Address): boolean {
    return to === this.#replyFirst || (this.#replyMore.size > 0 && this.#replyMore.has(to));
  }

  #ensureStarted(now: number): void {
    this.#ready.renew();
    if (now > this.#now) this.#now = now;
    if (!this.#started) this.#start(now);
  }
}
