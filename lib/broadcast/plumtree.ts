/**
 * Epidemic broadcast trees (Leitão, Pereira, Rodrigues, SRDS 2007) over the active view.
 *
 * Each neighbour link is eager (payloads flow over it) or lazy (only IHAVE ids flow). All links
 * start eager, so the first message floods; a node that gets a payload it already has prunes
 * that link to lazy, so the eager links thin out into a spanning tree and later messages cost
 * about one payload copy per node. A node that hears IHAVE for an id but no payload within
 * `graftTimeoutMs` grafts the announcer's link back to eager and asks it for the payload; the
 * next announcer is tried `graftRetryMs` later. The tree so repairs itself around crashes, loss
 * and partitions, and the lazy links keep latency near the tree depth.
 *
 * @module
 */

import type { EngineContext } from "../engine/context.ts";
import { countDrop } from "../engine/stats.ts";
import type { Address } from "../wire/address.ts";
import { FrameType } from "../wire/frame.ts";
import type { MessageId } from "../wire/message_id.ts";

interface Missing {
  /** Peers that announced the id, first come first asked. */
  announcers: Address[];
  /** When to graft the next announcer. */
  due: number;
}

/** Eager/lazy link state, lazy announcement batching and graft timers. */
export class Plumtree {
  readonly eager = new Set<Address>();
  readonly lazy = new Set<Address>();
  #active: readonly Address[] = [];
  #missing = new Map<MessageId, Missing>();
  #lazyQueue = new Map<Address, { id: MessageId; hops: number }[]>();
  #lazyDue = Infinity;
  /** Counters of tree maintenance. */
  readonly counters = { prunesSent: 0, graftsSent: 0, ihavesSent: 0 };

  /** @param ctx The engine's shared state. */
  constructor(readonly ctx: EngineContext) {}

  /** Reconciles the link sets with the active view: new neighbours start eager. */
  sync(active: readonly Address[]): void {
    if (active === this.#active) return;
    this.#active = active;
    const current = new Set(active);
    for (const peer of [...this.eager]) if (!current.has(peer)) this.eager.delete(peer);
    for (const peer of [...this.lazy]) if (!current.has(peer)) this.lazy.delete(peer);
    for (const peer of active) if (!this.lazy.has(peer)) this.eager.add(peer);
  }

  /** Messages whose payload is awaited after an IHAVE. */
  get missingCount(): number {
    return this.#missing.size;
  }

  /** Sends a first-seen payload on: eager links get it, lazy links get its id soon. */
  forward(id: MessageId, hops: number, except: Address | undefined, now: number): Address[] {
    this.#missing.delete(id);
    const eagerTargets: Address[] = [];
    for (const peer of this.eager) if (peer !== except) eagerTargets.push(peer);
    for (const peer of this.lazy) {
      if (peer === except) continue;
      const queue = this.#lazyQueue.get(peer);
      if (queue) queue.push({ id, hops });
      else this.#lazyQueue.set(peer, [{ id, hops }]);
    }
    if (this.#lazyQueue.size > 0) {
      this.#lazyDue = Math.min(this.#lazyDue, now + this.ctx.options.lazyDelayMs);
      this.ctx.wakeAt(this.#lazyDue);
      if (this.ctx.options.lazyDelayMs === 0) this.flushLazy(now);
    }
    return eagerTargets;
  }

  /**
   * A payload arrived again over `from`: that link is redundant, prune it. The PRUNE goes out even
   * when our side already holds the link lazy, or the sender would keep pushing duplicates.
   */
  onDuplicate(from: Address): void {
    if (this.eager.delete(from) || this.#active.includes(from)) this.lazy.add(from);
    this.ctx.outbox.push(from, { type: FrameType.Prune });
    this.counters.prunesSent++;
  }

  /** The peer pruned our link to it. */
  onPrune(from: Address): void {
    if (this.eager.delete(from)) this.lazy.add(from);
  }

  /** The peer grafted our link: payloads flow to it again. */
  onGraft(from: Address): void {
    if (!this.#active.includes(from)) return;
    this.lazy.delete(from);
    this.eager.add(from);
  }

  /** An IHAVE for `id` came from `from`, and we lack the payload. */
  onAnnounce(id: MessageId, from: Address, now: number): void {
    const entry = this.#missing.get(id);
    if (entry) {
      if (!entry.announcers.includes(from) && entry.announcers.length < 16) {
        entry.announcers.push(from);
      }
      return;
    }
    if (this.#missing.size >= this.ctx.options.maxPending) {
      countDrop(this.ctx.counters, "graft_pending_full");
      return;
    }
    const due = now + this.ctx.options.graftTimeoutMs;
    this.#missing.set(id, { announcers: [from], due });
    this.ctx.wakeAt(due);
  }

  /** Sends held IHAVE batches. */
  flushLazy(_now: number): void {
    const perFrame = Math.min(255, Math.floor((this.ctx.options.maxDatagramSize - 3) / 9));
    for (const [peer, entries] of this.#lazyQueue) {
      for (let i = 0; i < entries.length; i += perFrame) {
        this.ctx.outbox.push(peer, {
          type: FrameType.IHave,
          entries: entries.slice(i, i + perFrame),
        });
        this.counters.ihavesSent++;
      }
    }
    this.#lazyQueue.clear();
    this.#lazyDue = Infinity;
  }

  /** Runs due graft timers and lazy flushes; returns when it next wants to run. */
  tick(now: number): number {
    if (now >= this.#lazyDue) this.flushLazy(now);
    let next = this.#lazyDue;
    for (const [id, entry] of this.#missing) {
      if (entry.due > now) {
        next = Math.min(next, entry.due);
        continue;
      }
      const announcer = entry.announcers.shift();
      if (announcer === undefined) {
        this.#missing.delete(id); // anti-entropy is the last resort
        continue;
      }
      this.onGraft(announcer);
      this.ctx.outbox.push(announcer, { type: FrameType.Graft, ids: [id] });
      this.counters.graftsSent++;
      entry.due = now + this.ctx.options.graftRetryMs;
      next = Math.min(next, entry.due);
    }
    return next;
  }
}
