/**
 * Anti-entropy digests: what a node holds, as runs of sequence numbers per origin.
 *
 * Because message ids are (origin, seq), the messages one publisher sent in a row collapse into
 * one 11-byte range however many there are. A digest lists the ranges of the message cache; when
 * they do not all fit in one datagram, successive rounds send successive slices, and a slice is
 * marked incomplete so the receiver does not take a missing range for a missing message.
 *
 * @module
 */

import type { SeqRange } from "../wire/frame.ts";

/** A message id taken apart (the cache keeps its entries so, for digests). */
export interface OriginSeq {
  readonly origin: number;
  readonly seq: number;
}

/** Ids to compress: an array, or a cache read by index. */
export interface IndexedIds {
  readonly size: number;
  at(index: number): OriginSeq | undefined;
}

/** Compresses ids into sorted per-origin runs. */
export function rangesOf(ids: IndexedIds | readonly OriginSeq[]): SeqRange[] {
  const byOrigin = new Map<number, number[]>();
  const count = "size" in ids ? ids.size : ids.length;
  for (let i = 0; i < count; i++) {
    const { origin, seq } = ids.at(i)!;
    const list = byOrigin.get(origin);
    if (list) list.push(seq);
    else byOrigin.set(origin, [seq]);
  }
  const ranges: SeqRange[] = [];
  for (const [origin, seqs] of byOrigin) {
    // Caches hold an origin's messages mostly in order: check before paying for a sort.
    if (!ascending(seqs)) seqs.sort((a, b) => a - b);
    let low = seqs[0]!;
    let high = low;
    for (let i = 1; i < seqs.length; i++) {
      const seq = seqs[i]!;
      if (seq === high + 1 || seq === high) {
        high = seq;
      } else {
        ranges.push({ origin, low, high });
        low = high = seq;
      }
    }
    ranges.push({ origin, low, high });
  }
  return ranges;
}

function ascending(list: readonly number[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i]! < list[i - 1]!) return false;
  return true;
}

/** Answers "is this id inside these ranges" for one received digest. */
export class RangeIndex {
  #byOrigin = new Map<number, SeqRange[]>();

  /** @param ranges The digest's ranges. */
  constructor(ranges: readonly SeqRange[]) {
    for (const range of ranges) {
      const list = this.#byOrigin.get(range.origin);
      if (list) list.push(range);
      else this.#byOrigin.set(range.origin, [range]);
    }
  }

  /** True when some range covers the id (`origin`, `seq`). */
  covers(origin: number, seq: number): boolean {
    const list = this.#byOrigin.get(origin);
    if (!list) return false;
    for (const range of list) if (seq >= range.low && seq <= range.high) return true;
    return false;
  }
}
