/**
 * {@linkcode Ready}: everything an engine wants done after its inputs, in one batch (in the manner
 * of etcd-io/raft's `Ready`). Inputs (`receive`, `publish`, `tick`, `addSeeds`, ...) only change
 * state and queue outputs here; the driver takes the batch with `engine.ready()` and carries it
 * out: send the datagrams, hand out deliveries and peer events, be back by the deadline.
 *
 * The arrays are the engine's and are reused (a 10,000-node simulation makes millions of
 * batches): a batch is valid until the engine's next input or `ready()` call. A driver whose
 * listeners may call back into the engine copies what it hands to them first.
 *
 * @module
 */

import type { Address } from "../wire/address.ts";
import type { Delivery, PeerEvent } from "../core/context.ts";

/** What an engine wants done: the outputs of its inputs since the last `ready()`. */
export interface Ready {
  /** Destination of each datagram: `datagrams[i]` goes to `to[i]`, in this order. */
  readonly to: readonly Address[];
  /** Datagrams to send (best effort), each at most the destination's datagram limit. */
  readonly datagrams: readonly Uint8Array[];
  /** New messages for the application, in delivery order. */
  readonly deliveries: readonly Delivery[];
  /** Neighbours that came up or went down, in order. */
  readonly peerEvents: readonly PeerEvent[];
  /** When the engine wants its next `tick` (absolute, same clock as `now`; may be Infinity). */
  readonly deadline: number;
}

/** @internal The engine's reusable output batch. */
export class ReadyBatch implements Ready {
  readonly to: Address[] = [];
  readonly datagrams: Uint8Array[] = [];
  readonly deliveries: Delivery[] = [];
  readonly peerEvents: PeerEvent[] = [];
  deadline = Infinity;
  /** True once handed out: the next input starts a new batch. */
  handedOut = false;

  /** Empties the batch if it was handed out (called at every input and by `ready()`). */
  renew(): void {
    if (!this.handedOut) return;
    this.handedOut = false;
    empty(this.to);
    empty(this.datagrams);
    empty(this.deliveries);
    empty(this.peerEvents);
  }
}

/**
 * Empties `list` by popping, which keeps its backing store: setting `length = 0` is a runtime
 * call that frees the store, so the next batch's first push allocated a new one (a measurable
 * share of a 10,000-node simulation, which makes millions of batches). A batch holds a few
 * entries; a large one is released at once instead.
 */
function empty(list: unknown[]): void {
  if (list.length > 16) list.length = 0;
  else while (list.length > 0) list.pop();
}
