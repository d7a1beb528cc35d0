/**
 * What the engine shares with its parts (membership, broadcast): identity, randomness, options,
 * the outbox and the counters. Parts talk to the network only through the outbox.
 *
 * @module
 */

import type { ResolvedOptions } from "../options.ts";
import type { Address } from "../wire/address.ts";
import type { MessageId } from "../wire/message_id.ts";
import type { Outbox } from "./outbox.ts";
import type { Prng } from "./prng.ts";
import type { EngineCounters } from "./stats.ts";

/** A message handed to the application. */
export interface Delivery {
  /** The message id (origin node id and sequence number). */
  id: MessageId;
  /** Node id of the publisher. */
  origin: number;
  /** Hops the message travelled to reach this node (1 = straight from the publisher). */
  hops: number;
  /** Data frame flags (see `DataFlag`). */
  flags: number;
  /** The payload (a copy owned by the receiver). */
  data: Uint8Array;
  /** The peer this copy came from. */
  from: Address;
}

/** A neighbour came up or went down (membership events for the application). */
export interface PeerEvent {
  /** `"up"` when the link was established, `"down"` when it was lost. */
  type: "up" | "down";
  /** The neighbour's address. */
  address: Address;
  /** The neighbour's node id. */
  nodeId: number;
}

/** The shared state handed to the engine's parts. */
export interface EngineContext {
  readonly nodeId: number;
  readonly rng: Prng;
  readonly options: ResolvedOptions;
  readonly outbox: Outbox;
  readonly counters: EngineCounters;
  /** Hands a message to the application. */
  deliver(message: Delivery): void;
  /**
   * Asks the engine to be ticked no later than `at`. Parts call it when an input sets a timer
   * (a graft, an ACK timeout, a lazy flush), so the driver re-arms before the next scheduled tick.
   */
  wakeAt(at: number): void;
  /** Reports a neighbour coming up or going down; also tells the broadcast layer. */
  peerEvent(event: PeerEvent): void;
  /** True when `address` has proven it receives there (see address_validation.ts). */
  isValidated(address: Address): boolean;
}
