/**
 * The chunk header: the first 4 bytes of the payload of a data frame flagged
 * {@linkcode DataFlag.Chunk}. A message too large for one datagram is published as `count`
 * chunks with consecutive sequence numbers of one origin, chunk `index` under sequence number
 * `first + index`, so the header needs neither the message's id nor its length:
 *
 * | offset | size | field                 |
 * | ------ | ---- | --------------------- |
 * | 0      | 2    | index, 0..count − 1   |
 * | 2      | 2    | count, 2..65,535      |
 * | 4      | …    | the chunk's bytes     |
 *
 * @module
 */

import { DataFlag } from "./frame.ts";
import { MAX_SEQ, type MessageId, seqOf } from "./message_id.ts";

/** Bytes of the chunk header at the start of a chunk's payload. */
export const CHUNK_HEADER = 4;

/** Index and count of a chunk. */
export interface ChunkPosition {
  index: number;
  count: number;
}

/** Reads the chunk header of `payload` (the caller checked it with {@linkcode validChunk}). */
export function readChunkHeader(payload: Uint8Array): ChunkPosition {
  return {
    index: (payload[0]! << 8) | payload[1]!,
    count: (payload[2]! << 8) | payload[3]!,
  };
}

/** Writes a chunk header at the start of `out`. */
export function writeChunkHeader(out: Uint8Array, index: number, count: number): void {
  out[0] = index >>> 8;
  out[1] = index & 0xff;
  out[2] = count >>> 8;
  out[3] = count & 0xff;
}

/**
 * True when a data frame's chunk fields are consistent: a header and at least one byte, at
 * least two chunks, the index inside the count, no beacon, and every sequence number of the
 * message (first = seq − index, up to first + count − 1) a valid one.
 */
export function validChunk(flags: number, id: MessageId, payload: Uint8Array): boolean {
  if ((flags & DataFlag.Beacon) !== 0 || payload.length <= CHUNK_HEADER) return false;
  const { index, count } = readChunkHeader(payload);
  if (count < 2 || index >= count) return false;
  const first = seqOf(id) - index;
  return first >= 1 && first + count - 1 <= MAX_SEQ;
}
