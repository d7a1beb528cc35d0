/**
 * Plumtree's announcements (plumtree.ts): IHAVE batches for lazy links, their pacing, and echoes
 * of the ids pushed over eager links.
 *
 * - **Batches.** IHAVEs for a peer wait up to `lazyDelayMs` and leave earlier on any datagram
 *   already going to that peer ({@linkcode Announcements.piggyback}): an IHAVE riding along costs
 *   9 bytes per id and no datagram of its own. Each batch repeats the previous one to the same
 *   peer when that one is recent, so a lost IHAVE is announced twice at no datagram's cost.
 * - **Pacing** (`lazyPaceMs`). A lazy link gets at most one datagram of IHAVEs alone per pace;
 *   meanwhile its ids wait, or ride along. With many publishers this is what keeps announcements
 *   from costing a datagram per message per lazy link (2.7 × N − 1 on 100 simulated nodes at 100
 *   msgs/s in total, 1.43 × with a 250 ms pace).
 * - **Echoes.** Every id pushed over an eager link rides again, as an IHAVE marked with
 *   {@linkcode ECHO_HOPS}, on a later datagram that goes to that peer anyway, in the room left in
 *   it: see {@linkcode Announcements.echo}.
 * - **Lossy links.** A link whose peer grafted a payload pushed to it (link_loss.ts) is lossy for
 *   a while, and the end of a burst is covered on it with datagrams of their own: echoes that
 *   found nothing to ride on within {@linkcode ECHO_ALONE_MS} go alone, and the last IHAVE batch
 *   goes once more alone after {@linkcode REPEAT_ALONE_MS}. A loss-free link never costs these.
 *
 * Bounds: one queue, one last batch, one pace stamp, one loss count and at most `MAX_ECHOES`
 * echoes per peer, swept of peers that left the active view once they number 4 × its size.
 *
 * @module
 */

import type { EngineContext } from "../core/context.ts";
import type { Address } from "../wire/address.ts";
import { FrameType } from "../wire/frame.ts";
import type { MessageId } from "../wire/message_id.ts";
import { LinkLoss } from "./link_loss.ts";
import type { TreeLinks } from "./tree_links.ts";

/**
 * In `pushpull`, the longest IHAVE pace (ms): there every announcement may be the one a node
 * pulls by (1,000 nodes, 100 publishers: median to full 271 ms with no pace, 299 with 250).
 */
export const PUSHPULL_PACE_MS = 100;

/**
 * In `tree` mode, a calm node (one that got many payloads and lost none lately, graft_wait.ts)
 * paces its lazy links this many times `lazyPaceMs` apart: with nothing lost, announcements alone
 * only back up a tree that delivers, and at 100 msgs/s they were a tenth of all datagrams (the
 * shared-core model of 100 loopback nodes: 12.3 of 118 datagrams per message with 250 ms). A loss
 * brings back the usual pace at once.
 */
export const CALM_PACE_FACTOR = 4;

/** Ids pushed to a peer and not yet echoed to it, at most (older ones are left to repair). */
const MAX_ECHOES = 64;

/**
 * Bytes an echo leaves free in the datagram it rides on, for what the address-validation gate
 * may add after it (a cookie): an echo must never cost a datagram.
 */
const ECHO_MARGIN = 40;

/**
 * An echo older than this (ms) is dropped rather than sent: by then the lazy path or anti-entropy
 * has had its turn, and the peer at that address may have restarted, when old ids announced by an
 * active neighbour would look live to its join window (history.ts) and be delivered again.
 */
const ECHO_MAX_AGE_MS = 500;

/** A peer's previous IHAVE batch is announced again with its next only within this (ms). */
const LAST_BATCH_MAX_AGE_MS = 500;

/**
 * The hop count an echo carries in its IHAVE entry: it tells the receiver that the sender pushed it
 * the payload, so a receiver that lacks it lost it and grafts the sender at once (plumtree.ts)
 * instead of waiting a graft timeout for a tree copy that is not coming. No announcement carries
 * it otherwise: a node at `maxHops` (at most 255) forwards and announces nothing. Older nodes read
 * it as an IHAVE from far away, which is what it was to them (a hop count serves only to move a
 * tree onto a shorter path, never onto an echo's).
 */
export const ECHO_HOPS = 255;

/**
 * On a lossy link (link_loss.ts), how long (ms) ids pushed over it wait for a datagram to ride on
 * before their echo goes alone: long enough that during a burst the echoes still ride (at 1,000
 * simulated nodes, 100 publishers, 10% loss, with the repeat below at the same delay: 20-30 ms
 * cost 195-197 datagrams per node, 80 ms 180-185, neither 175-181), short against the anti-entropy period that otherwise repairs the last
 * push of a burst (2.6 s for one node of seed 2 before this).
 */
export const ECHO_ALONE_MS = 80;

/**
 * On a lossy link, how long (ms) after a peer's last IHAVE batch, with no batch since, that batch
 * is sent once more alone (a batch is otherwise repeated only by the next one, and the last of a
 * burst never was).
 */
export const REPEAT_ALONE_MS = 80;

type Announcement = { id: MessageId; hops: number };
/** An id pushed to a peer, and when. */
type Echo = { id: MessageId; at: number };

/** Counters the announcements add to (the Plumtree's). */
export interface AnnouncementCounters {
  /** IHAVE frames sent for lazy links. */
  ihavesSent: number;
  /** Ids echoed to the peers they were pushed to. */
  echoesSent: number;
}

/** IHAVE batching, pacing and echoes, per peer. */
export class Announcements {
  #queue = new Map<Address, Announcement[]>();
  /** Each peer's last IHAVE batch and when it left (bounded by the view). */
  #lastBatch = new Map<Address, { entries: Announcement[]; at: number; repeated: boolean }>();
  #due = Infinity;
  /**
   * Ids pushed over each eager link, to announce to the same peer again on a later datagram to
   * it. `#echoesNew` holds those of the current engine call, which must not share the datagram
   * that carries the payload itself.
   */
  #echoes = new Map<Address, Echo[]>();
  #echoesNew = new Map<Address, Echo[]>();
  /** The latest time an input brought (piggyback() is called without one). */
  #clock = 0;
  /** When each peer's last IHAVE batch left in a datagram of its own (see `lazyPaceMs`). */
  #sentAt = new Map<Address, number>();
  /** Which neighbours lose pushed payloads: they get echoes and repeats alone. */
  readonly loss: LinkLoss;

  /**
   * @param ctx The engine's shared state.
   * @param links Which peers are in the active view.
   * @param counters Where sent IHAVEs and echoes are counted.
   * @param calm Whether this node is calm: many payloads, no loss lately (see `CALM_PACE_FACTOR`).
   */
  constructor(
    readonly ctx: EngineContext,
    readonly links: TreeLinks,
    readonly counters: AnnouncementCounters,
    readonly calm: () => boolean = () => false,
  ) {
    this.loss = new LinkLoss((peer) => links.isActive(peer), 4 * ctx.options.activeViewSize);
  }

  /** Flushes what is due at `now`; returns when a held batch is next due (Infinity: none). */
  tick(now: number): number {
    this.#clock = now;
    if (now >= this.#due) this.flush(now);
    return Math.min(this.#due, this.#sendAlone(now));
  }

  /**
   * A link to `peer` went down or came up: announcements meant for the link before are not
   * sent or repeated over it. A neighbour that restarted on the same address would otherwise get
   * ids published before it joined, and take them for news (its join window counts an IHAVE as
   * live evidence; see history_gate.ts).
   */
  forgetPeer(peer: Address): void {
    this.#lastBatch.delete(peer);
    this.#sentAt.delete(peer);
    this.#echoes.delete(peer);
    this.#echoesNew.delete(peer);
    this.loss.forget(peer);
    // Held announcements too: with pacing they can wait long enough to outlive the link.
    this.#queue.delete(peer);
  }

  /** Queues an IHAVE of `id` for each of `peers` but `except` (sent within `lazyDelayMs`). */
  announce(
    peers: Iterable<Address>,
    id: MessageId,
    hops: number,
    except: Address | undefined,
    now: number,
  ): void {
    this.#clock = now;
    let opened = false;
    for (const peer of peers) {
      if (peer === except) continue;
      const queue = this.#queue.get(peer);
      if (queue) queue.push({ id, hops });
      else {
        this.#queue.set(peer, [{ id, hops }]);
        opened = true;
      }
    }
    if (!opened) return;
    if (this.ctx.options.lazyDelayMs === 0) this.flush(now);
    else if (now + this.ctx.options.lazyDelayMs < this.#due) {
      this.#due = now + this.ctx.options.lazyDelayMs;
      this.ctx.wakeAt(this.#due);
    }
  }

  /**
   * Moves held announcements for peers that already have a datagram being built into that
   * datagram: an IHAVE riding along costs 9 bytes per id and no datagram of its own.
   */
  piggyback(hasQueued: (peer: Address) => boolean): void {
    for (const [peer, entries] of this.#queue) {
      if (!hasQueued(peer)) continue;
      this.#sendAnnouncements(peer, entries);
      this.#queue.delete(peer);
    }
    if (this.#queue.size === 0) this.#due = Infinity;
    this.#rideEchoes(hasQueued);
  }

  /** Remembers that `id` was pushed to `peer` at `now`, to echo it on a later datagram. */
  echo(peer: Address, id: MessageId, now: number): void {
    this.#clock = now;
    this.loss.pushed(peer);
    if (this.loss.lossy(peer)) this.ctx.wakeAt(now + ECHO_ALONE_MS);
    const queue = this.#echoesNew.get(peer);
    if (queue === undefined) this.#echoesNew.set(peer, [{ id, at: now }]);
    else if (queue.length < MAX_ECHOES) queue.push({ id, at: now });
  }

  /**
   * Echoes: a node whose every tree link is eager hears of a message only by its payloads, and
   * when all of them are lost no IHAVE tells it (measured at 1,000 nodes and 10% loss: a hub lost
   * five pushed copies and waited 13 s for anti-entropy). So each pushed id rides again, as an
   * IHAVE with {@linkcode ECHO_HOPS}, on the next datagram that goes to that peer anyway, in the
   * room left in it: a node that lacks it grafts at once. A datagram of its own only on a lossy
   * link (see `#sendAlone`).
   */
  #rideEchoes(hasQueued: (peer: Address) => boolean): void {
    const outbox = this.ctx.outbox;
    for (const [peer, entries] of this.#echoes) {
      if (!hasQueued(peer)) continue;
      this.#echoes.delete(peer);
      const room = Math.floor((outbox.spareFor(peer) - ECHO_MARGIN - 3) / 9);
      if (room <= 0) continue;
      // Newest last: the freshest that fit, none older than ECHO_MAX_AGE_MS.
      let first = Math.max(0, entries.length - room);
      const oldest = this.#clock - ECHO_MAX_AGE_MS;
      while (first < entries.length && entries[first]!.at < oldest) first++;
      if (first === entries.length) continue;
      const ride: Announcement[] = [];
      for (let i = first; i < entries.length; i++) {
        ride.push({ id: entries[i]!.id, hops: ECHO_HOPS });
      }
      outbox.push(peer, { type: FrameType.IHave, entries: ride });
      this.counters.echoesSent += ride.length;
    }
    // This call's pushes become eligible for the next datagrams.
    for (const [peer, fresh] of this.#echoesNew) {
      const held = this.#echoes.get(peer);
      if (held === undefined) this.#echoes.set(peer, fresh);
      else {
        for (const entry of fresh) held.push(entry);
        if (held.length > MAX_ECHOES) held.splice(0, held.length - MAX_ECHOES);
      }
    }
    // Only when not empty: this runs before every flush, and clearing a Map gives it a new table
    // (in V8's old space once the map is old) even when it was empty: 90 MB of old-generation
    // garbage over the warm-up of 3,000 simulated nodes, before any message.
    if (this.#echoesNew.size > 0) this.#echoesNew.clear();
    if (this.#echoes.size > 4 * this.ctx.options.activeViewSize) {
      for (const known of this.#echoes.keys()) {
        if (!this.links.isActive(known)) this.#echoes.delete(known);
      }
    }
  }

  /**
   * Sends the held IHAVE batches whose peer has had no batch of its own for `lazyPaceMs`; the
   * others wait for their pace (or ride along on an earlier datagram, see `piggyback`).
   */
  flush(now: number): void {
    this.#clock = now;
    const options = this.ctx.options;
    // In pushpull the announcements are the repair path itself, not a backup of a tree.
    const pace = options.mode === "pushpull"
      ? Math.min(options.lazyPaceMs, PUSHPULL_PACE_MS)
      : options.lazyPaceMs;
    // A calm node holds batches longer, and looks again every usual pace: a loss ends the calm.
    const calm = options.mode === "tree" && this.calm();
    let due = Infinity;
    for (const [peer, entries] of this.#queue) {
      const last = this.#sentAt.get(peer);
      if (last !== undefined && now - last < pace) {
        due = Math.min(due, last + pace);
        continue;
      }
      if (last !== undefined && calm && now - last < CALM_PACE_FACTOR * pace) {
        due = Math.min(due, last + CALM_PACE_FACTOR * pace, now + pace);
        continue;
      }
      this.#sentAt.set(peer, now);
      this.#sendAnnouncements(peer, entries);
      this.#queue.delete(peer);
    }
    this.#due = due;
    if (due !== Infinity) this.ctx.wakeAt(due);
    if (this.#sentAt.size > 4 * this.ctx.options.activeViewSize) {
      for (const known of this.#sentAt.keys()) {
        if (!this.links.isActive(known)) this.#sentAt.delete(known);
      }
    }
  }

  /**
   * Sends `entries` to `peer` with the previous batch repeated: an IHAVE lost on the way (and
   * with it the only sign of a lost payload, when the eager copy was lost too) is announced a
   * second time at no datagram's cost. At 10% loss, nodes that lost the payload and every
   * announcement waited for anti-entropy and set the slowest delivery at about 4 s.
   */
  #sendAnnouncements(peer: Address, entries: Announcement[]): void {
    const now = this.#clock;
    const last = this.#lastBatch.get(peer);
    this.#lastBatch.delete(peer);
    if (this.links.isActive(peer)) {
      this.#lastBatch.set(peer, { entries, at: now, repeated: false });
      if (this.loss.lossy(peer)) this.ctx.wakeAt(now + REPEAT_ALONE_MS);
    }
    // Only a recent batch is repeated: one held across a crash and restart of the peer at the
    // same address would announce old ids to its new incarnation, whose join window takes an
    // active neighbour's IHAVE for live news (history.ts).
    const previous = last !== undefined && now - last.at <= LAST_BATCH_MAX_AGE_MS
      ? last.entries
      : undefined;
    this.#pushIHaves(peer, previous ? [...entries, ...previous] : entries);
    if (this.#lastBatch.size > 4 * this.ctx.options.activeViewSize) {
      for (const known of this.#lastBatch.keys()) {
        if (!this.links.isActive(known)) this.#lastBatch.delete(known);
      }
    }
  }

  /** Queues IHAVE frames of `all` for `peer`, as many as its datagram limit needs. */
  #pushIHaves(peer: Address, all: Announcement[]): void {
    // Sized for the peer's datagram limit (mixed limits: it may accept less than this node).
    const perFrame = Math.min(255, Math.floor((this.ctx.outbox.limitFor(peer) - 3) / 9));
    for (let i = 0; i < all.length; i += perFrame) {
      this.ctx.outbox.push(peer, {
        type: FrameType.IHave,
        entries: i === 0 && all.length <= perFrame ? all : all.slice(i, i + perFrame),
      });
      this.counters.ihavesSent++;
    }
  }

  /**
   * Datagrams of their own on lossy links (link_loss.ts), where the last payload or IHAVE batch
   * of a burst is lost as often as any, and nothing rides after it: ids pushed to a peer that no
   * datagram followed within {@linkcode ECHO_ALONE_MS} are echoed alone, and a peer's last IHAVE
   * batch that no batch followed within {@linkcode REPEAT_ALONE_MS} is sent once more alone.
   * Returns when the next is due (Infinity: none).
   */
  #sendAlone(now: number): number {
    let next = Infinity;
    for (const [peer, entries] of this.#echoes) {
      if (!this.loss.lossy(peer)) continue;
      const due = entries[0]!.at + ECHO_ALONE_MS;
      if (due > now) {
        next = Math.min(next, due);
        continue;
      }
      this.#echoes.delete(peer);
      const perFrame = Math.floor((this.ctx.outbox.limitFor(peer) - ECHO_MARGIN - 3) / 9);
      let first = Math.max(0, entries.length - perFrame);
      while (first < entries.length && entries[first]!.at < now - ECHO_MAX_AGE_MS) first++;
      if (first === entries.length) continue;
      const alone: Announcement[] = [];
      for (let i = first; i < entries.length; i++) {
        alone.push({ id: entries[i]!.id, hops: ECHO_HOPS });
      }
      this.ctx.outbox.push(peer, { type: FrameType.IHave, entries: alone });
      this.counters.echoesSent += alone.length;
    }
    for (const [peer, last] of this.#lastBatch) {
      if (last.repeated || !this.loss.lossy(peer)) continue;
      const due = last.at + REPEAT_ALONE_MS;
      if (due > now) {
        next = Math.min(next, due);
        continue;
      }
      last.repeated = true;
      this.#pushIHaves(peer, last.entries);
    }
    return next;
  }
}
