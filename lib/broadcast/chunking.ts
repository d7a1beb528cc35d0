/**
 * Splitting a message too large for one datagram into chunks.
 *
 * Chunks are sized so that one chunk in one data frame fits the datagram every node accepts
 * (the engine's limit for a peer that said nothing, 512 bytes unless sealed; see
 * lib/engine/datagram_limits.ts), whatever this node's own `maxDatagramSize`: each chunk then
 * reaches every node unchanged, under the same id, through any path, which is what lets trees,
 * IHAVE/GRAFT and anti-entropy handle chunks as the messages they are. A peer that accepts larger
 * datagrams still gets them large: the outbox packs many chunk frames into one datagram for it.
 *
 * Each chunk is a data frame flagged `Chunk` whose payload is a 4-byte chunk header (index,
 * count; lib/wire/chunk_header.ts) and the chunk's bytes; the chunks of one message take
 * consecutive sequence numbers of its origin, so a digest lists a whole message as one range.
 *
 * @module
 */

import { GossipError } from "../errors.ts";
import { CHUNK_HEADER, writeChunkHeader } from "../wire/chunk_header.ts";
import { DATA_FRAME_HEADER, DATAGRAM_HEADER } from "../wire/codec.ts";

/** Most chunks one message can have (the count field is 16 bits). */
export const MAX_CHUNKS = 0xffff;

/** Message bytes one chunk carries when one chunk frame must fit `datagramSize` bytes. */
export function chunkDataSize(datagramSize: number): number {
  return datagramSize - DATAGRAM_HEADER - DATA_FRAME_HEADER - CHUNK_HEADER;
}

/**
 * Splits `data` into chunk payloads (header included) of at most `chunkData` message bytes each,
 * all of equal size but the last.
 *
 * @throws {GossipError} `payload_too_large` when it would take more than {@linkcode MAX_CHUNKS}.
 */
export function splitMessage(data: Uint8Array, chunkData: number): Uint8Array[] {
  const count = Math.ceil(data.length / chunkData);
  if (count > MAX_CHUNKS || chunkData < 1) {
    throw new GossipError(
      "payload_too_large",
      `Cannot publish ${data.length} bytes: that takes more than ${MAX_CHUNKS} chunks of ` +
        `${chunkData} bytes; send a smaller payload or raise maxDatagramSize`,
    );
  }
  const chunks: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const part = data.subarray(index * chunkData, (index + 1) * chunkData);
    const chunk = new Uint8Array(CHUNK_HEADER + part.length);
    writeChunkHeader(chunk, index, count);
    chunk.set(part, CHUNK_HEADER);
    chunks.push(chunk);
  }
  return chunks;
}
