/**
 * Reassembly of chunked messages: collects the chunks of each message (keyed by its first
 * chunk's id) and hands the whole message over once, when the last missing chunk arrives.
 *
 * Chunks come from the network, so a partial message is untrusted state. Memory is bounded in
 * bytes: each partial message costs {@linkcode PARTIAL_COST} plus, per chunk held,
 * {@linkcode CHUNK_COST} and its bytes. Past `maxBytes`, the oldest partial messages are dropped
 * (`evicted`); a partial message that grows past `maxMessageSize` bytes or half the bound is
 * dropped at once (`tooLarge`), so one forged message cannot take the whole buffer; one that
 * waits longer than `timeoutMs` is dropped (`expired`). A flood of fake partial messages, even
 * from a member holding the cluster key, therefore evicts older partials but never grows the
 * buffer past its bound (tests/reassembly_test.ts).
 *
 * A partial message also knows which chunks it lacks. When one has not progressed for `pullAfterMs`
 * (the graft timeout), it asks the peers that sent its chunks for the missing ones (IWANT, at most
 * {@linkcode PULL_IDS} ids per round), and again after twice as long each round without progress. This is how a lost chunk is
 * repaired: only a message's first chunk is announced (IHAVE), which is enough for a node that got
 * none of it, and 9 bytes per chunk per lazy link saved (11% of the message's size at 1,000 nodes). Only the {@linkcode PULLING} partial messages that
 * progressed last pull, so a flood of forged partials costs a bounded number of requests.
 *
 * @module
 */

import type { Delivery } from "../core/context.ts";
import type { Address } from "../wire/address.ts";
import { CHUNK_HEADER, readChunkHeader } from "../wire/chunk_header.ts";
import { DataFlag, type DataFrame } from "../wire/frame.ts";
import { makeMessageId, type MessageId, originOf, seqOf } from "../wire/message_id.ts";
import { noEntries, ownMap } from "../core/no_entries.ts";

/** Bytes a partial message is counted for before any chunk (its entry and maps). */
export const PARTIAL_COST = 256;
/** Bytes each held chunk is counted for besides its data (map entry, view). */
export const CHUNK_COST = 64;
/** Missing chunk ids asked for per partial message per round. */
export const PULL_IDS = 160;
/** Partial messages (those that progressed last) that pull their missing chunks. */
export const PULLING = 16;
/** Distinct senders of a partial message's chunks remembered to pull from. */
const MAX_SENDERS = 4;

/** Bounds of a {@linkcode Reassembly}. */
export interface ReassemblyLimits {
  /** Bytes held by partial messages at most (see the module doc for what counts). */
  maxBytes: number;
  /** Longest wait for a partial message's missing chunks, in ms. */
  timeoutMs: number;
  /** Largest message accepted, in bytes. */
  maxMessageSize: number;
  /** Wait after a partial message's last progress before pulling its missing chunks, in ms. */
  pullAfterMs: number;
}

/** Figures of a {@linkcode Reassembly}. */
export interface ReassemblyCounters {
  /** Chunks taken in. */
  chunksIn: number;
  /** Messages reassembled and handed over. */
  assembled: number;
  /** Partial messages dropped to stay within `maxBytes`, oldest first. */
  evicted: number;
  /** Partial messages dropped after `timeoutMs`. */
  expired: number;
  /** Partial messages dropped for growing past `maxMessageSize` or half of `maxBytes`. */
  tooLarge: number;
  /** Chunks whose count disagreed with the other chunks of their message. */
  mismatched: number;
  /** Missing chunk ids asked for (IWANT) by partial messages that stopped progressing. */
  chunksPulled: number;
}

interface Partial {
  first: MessageId;
  count: number;
  parts: Map<number, Uint8Array>;
  dataBytes: number;
  cost: number;
  createdAt: number;
  /** Peers that sent chunks of it (pull targets), and the number of pull rounds so far. */
  senders: Address[];
  pulls: number;
  /** Pull rounds since it last progressed: each doubles the wait before the next. */
  quiet: number;
  /** When to pull its missing chunks next. */
  pullAt: number;
}

/** Bounded buffers of partly received chunked messages; see the module doc. */
export class Reassembly {
  readonly counters: ReassemblyCounters = {
    chunksIn: 0,
    assembled: 0,
    evicted: 0,
    expired: 0,
    tooLarge: 0,
    mismatched: 0,
    chunksPulled: 0,
  };
  /** Insertion order is age order: eviction and expiry take the oldest first. */
  // Both made at the first chunk (see no_entries.ts).
  #partials: Map<MessageId, Partial> = noEntries();
  /** The partial messages that progressed last (at most PULLING), oldest progress first. */
  #pulling: Map<MessageId, Partial> = noEntries();
  #bytes = 0;

  /** @param limits The bounds. */
  constructor(readonly limits: ReassemblyLimits) {}

  /** Bytes counted for the partial messages held (never above `maxBytes` after a call). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Partial messages held. */
  get size(): number {
    return this.#partials.size;
  }

  /**
   * Takes one new chunk (its data frame checked by the decoder, its id seen for the first time;
   * `repaired` when it came as the answer to a pull).
   * Returns the whole message when this chunk completed it: its id is the last chunk's, its
   * flags lose `Chunk`, its hops and sender are this chunk's.
   */
  add(chunk: Delivery, now: number, repaired = false): Delivery | undefined {
    this.counters.chunksIn++;
    const { index, count } = readChunkHeader(chunk.data);
    const first = makeMessageId(chunk.origin, seqOf(chunk.id) - index);
    let partial = this.#partials.get(first);
    if (partial === undefined) {
      partial = {
        first,
        count,
        parts: new Map(),
        dataBytes: 0,
        cost: PARTIAL_COST,
        createdAt: now,
        senders: [],
        pulls: 0,
        quiet: 0,
        pullAt: Infinity,
      };
      this.#partials = ownMap(this.#partials);
      this.#partials.set(first, partial);
      this.#bytes += PARTIAL_COST;
    } else if (partial.count !== count) {
      this.counters.mismatched++;
      return undefined;
    }
    if (partial.parts.has(index)) return undefined;
    const data = chunk.data.subarray(CHUNK_HEADER);
    partial.parts.set(index, data);
    partial.dataBytes += data.length;
    partial.cost += CHUNK_COST + data.length;
    this.#bytes += CHUNK_COST + data.length;
    if (
      partial.dataBytes > this.limits.maxMessageSize || partial.cost > this.limits.maxBytes / 2
    ) {
      this.#drop(partial);
      this.counters.tooLarge++;
      return undefined;
    }
    if (partial.parts.size === count) {
      this.#drop(partial);
      this.counters.assembled++;
      return {
        id: makeMessageId(chunk.origin, seqOf(first) + count - 1),
        origin: chunk.origin,
        hops: chunk.hops,
        flags: chunk.flags & ~DataFlag.Chunk,
        data: concatenate(partial),
        from: chunk.from,
      };
    }
    while (this.#bytes > this.limits.maxBytes) {
      const oldest = this.#partials.values().next().value as Partial;
      this.#drop(oldest);
      this.counters.evicted++;
    }
    if (this.#partials.get(first) === partial) {
      // A message whose first chunk here came by repair has passed by: pull the rest at once.
      const wait = repaired && partial.parts.size === 1 ? 0 : this.limits.pullAfterMs;
      this.#progressed(partial, chunk.from, now + wait);
    }
    return undefined;
  }

  #progressed(partial: Partial, from: Address, pullAt: number): void {
    if (!partial.senders.includes(from)) {
      if (partial.senders.length >= MAX_SENDERS) partial.senders.shift();
      partial.senders.push(from);
    }
    partial.pullAt = pullAt;
    partial.quiet = 0;
    this.#pulling.delete(partial.first);
    this.#pulling = ownMap(this.#pulling);
    this.#pulling.set(partial.first, partial);
    if (this.#pulling.size > PULLING) this.#pulling.delete(this.#pulling.keys().next().value!);
  }

  /**
   * Asks for the missing chunks of the partial messages that stopped progressing (see the module
   * doc) through `pull(to, ids)`; returns when it next wants to run.
   */
  pull(now: number, pull: (to: Address, ids: MessageId[]) => void): number {
    let next = Infinity;
    for (const partial of this.#pulling.values()) {
      if (partial.pullAt > now) {
        next = Math.min(next, partial.pullAt);
        continue;
      }
      const to = partial.senders[partial.pulls % partial.senders.length]!;
      partial.pulls++;
      // Unanswered rounds back off (doubling, up to 64 times the wait): on an overloaded network
      // pulls every graft timeout added to the load that lost the chunks (32 loopback nodes
      // collapsed into repair storms and lost their neighbours).
      partial.quiet++;
      partial.pullAt = now + this.limits.pullAfterMs * 2 ** Math.min(partial.quiet, 6);
      next = Math.min(next, partial.pullAt);
      const origin = originOf(partial.first);
      const firstSeq = seqOf(partial.first);
      const ids: MessageId[] = [];
      for (let index = 0; index < partial.count && ids.length < PULL_IDS; index++) {
        if (!partial.parts.has(index)) ids.push(makeMessageId(origin, firstSeq + index));
      }
      pull(to, ids);
      this.counters.chunksPulled += ids.length;
    }
    return next;
  }

  /** When {@linkcode Reassembly.pull} next has work, or Infinity. */
  nextPull(): number {
    let next = Infinity;
    for (const partial of this.#pulling.values()) next = Math.min(next, partial.pullAt);
    return next;
  }

  /** Drops partial messages older than `timeoutMs`. */
  expire(now: number): void {
    for (const partial of this.#partials.values()) {
      if (now - partial.createdAt < this.limits.timeoutMs) break;
      this.#drop(partial);
      this.counters.expired++;
    }
  }

  /** When the oldest partial message times out, or Infinity when none is held. */
  nextExpiry(): number {
    const oldest = this.#partials.values().next().value as Partial | undefined;
    return oldest ? oldest.createdAt + this.limits.timeoutMs : Infinity;
  }

  #drop(partial: Partial): void {
    this.#partials.delete(partial.first);
    this.#pulling.delete(partial.first);
    this.#bytes -= partial.cost;
  }
}

function concatenate(partial: Partial): Uint8Array {
  const out = new Uint8Array(partial.dataBytes);
  let at = 0;
  for (let index = 0; index < partial.count; index++) {
    const part = partial.parts.get(index)!;
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The id of the first chunk of the message `frame` belongs to; undefined when not a chunk. */
export function chunkMessageOf(frame: DataFrame): MessageId | undefined {
  if ((frame.flags & DataFlag.Chunk) === 0) return undefined;
  const { index } = readChunkHeader(frame.payload);
  return makeMessageId(originOf(frame.id), seqOf(frame.id) - index);
}

/** The id of the last chunk of the message `frame` belongs to; undefined when not a chunk. */
export function chunkMessageEndOf(frame: DataFrame): MessageId | undefined {
  if ((frame.flags & DataFlag.Chunk) === 0) return undefined;
  const { index, count } = readChunkHeader(frame.payload);
  return makeMessageId(originOf(frame.id), seqOf(frame.id) - index + count - 1);
}

/** True when `chunk` (a chunk's payload) is the last chunk of its message. */
export function isLastChunk(chunk: Uint8Array): boolean {
  const { index, count } = readChunkHeader(chunk);
  return index === count - 1;
}
