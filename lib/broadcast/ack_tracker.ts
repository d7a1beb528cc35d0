/**
 * ACKed push with a pull fallback (the gogossip design, done right).
 *
 * A node that pushes a new message to k peers expects each to ACK it. If, after `ackTimeoutMs`,
 * no more than half have (a real majority is more than k/2, not gogossip's integer `3/2 = 1`),
 * it announces the id with IHAVE to k + `pullExtraPeers` random peers; those that lack it pull
 * it with IWANT. Unlike gogossip, receivers forward on first receipt too, late ACKs are simply
 * ignored (nothing can block), and the table of pending pushes is bounded.
 *
 * @module
 */

import type { EngineContext } from "../core/context.ts";
import { countDrop } from "../core/stats.ts";
import type { Address } from "../wire/address.ts";
import { FrameType } from "../wire/frame.ts";
import type { MessageId } from "../wire/message_id.ts";
import { noEntries, ownMap } from "../core/no_entries.ts";

interface PendingPush {
  targets: Address[];
  acked: Set<Address>;
  due: number;
  hops: number;
}

/** Majority test: more than half of `pushed` acknowledged. */
export function hasMajority(acked: number, pushed: number): boolean {
  return 2 * acked > pushed;
}

/** Pending pushes awaiting ACKs. */
export class AckTracker {
  // Made at the first tracked push (see no_entries.ts).
  #pending: Map<MessageId, PendingPush> = noEntries();
  /** Counters of the ACK machinery. */
  readonly counters = { acksSent: 0, acksReceived: 0, fallbacks: 0 };

  /**
   * @param ctx The engine's shared state.
   * @param sample Random peers for the fallback announcement.
   */
  constructor(
    readonly ctx: EngineContext,
    readonly sample: (count: number, except?: Address) => Address[],
  ) {}

  /** Pushes awaiting ACKs. */
  get size(): number {
    return this.#pending.size;
  }

  /** Records a push of `id` to `targets`. */
  pushed(id: MessageId, hops: number, targets: Address[], now: number): void {
    if (targets.length === 0) return;
    if (this.#pending.size >= this.ctx.options.maxPending) {
      this.#pending.delete(this.#pending.keys().next().value as MessageId);
      countDrop(this.ctx.counters, "ack_pending_full");
    }
    const due = now + this.ctx.options.ackTimeoutMs;
    this.#pending = ownMap(this.#pending);
    this.#pending.set(id, { targets, acked: new Set(), due, hops });
    this.ctx.wakeAt(due);
  }

  /** Acknowledges a pushed payload to its sender. */
  sendAck(id: MessageId, to: Address): void {
    this.ctx.outbox.push(to, { type: FrameType.Ack, ids: [id] });
    this.counters.acksSent++;
  }

  /** ACKs arrived from `from`. */
  onAck(ids: readonly MessageId[], from: Address): void {
    for (const id of ids) {
      const entry = this.#pending.get(id);
      if (!entry || !entry.targets.includes(from)) continue;
      entry.acked.add(from);
      this.counters.acksReceived++;
      if (entry.acked.size === entry.targets.length) this.#pending.delete(id);
    }
  }

  /** Runs due fallbacks; returns when it next wants to run. */
  tick(now: number): number {
    let next = Infinity;
    for (const [id, entry] of this.#pending) {
      // Entries were added with the same timeout, so they are in due order.
      if (entry.due > now) {
        next = entry.due;
        break;
      }
      this.#pending.delete(id);
      if (hasMajority(entry.acked.size, entry.targets.length)) continue;
      this.counters.fallbacks++;
      const count = entry.targets.length + this.ctx.options.pullExtraPeers;
      for (const peer of this.sample(count)) {
        if (entry.acked.has(peer)) continue;
        this.ctx.outbox.push(peer, { type: FrameType.IHave, entries: [{ id, hops: entry.hops }] });
      }
    }
    return next;
  }
}
