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
import type { Address } from "../wire/address.ts";
import type { MessageId } from "../wire/message_id.ts";
import { CHUNK_HEADER, writeChunkHeader } from "../wire/chunk_header.ts";
import { DATA_FRAME_HEADER, DATAGRAM_HEADER } from "../wire/codec.ts";
import { noEntries, ownMap } from "../core/no_entries.ts";

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

/** Messages whose push targets are remembered (push modes). */
const REMEMBERED_MESSAGES = 64;

/**
 * Push modes: the random peers each chunk of a message is pushed to are the same for every chunk
 * of that message. Drawn per chunk, each chunk reached a different 95% of the nodes, and a 64 KiB
 * message (133 chunks) reached 9.5% of them whole at 100 simulated nodes in `push` mode.
 */
export class ChunkTargets {
  // Made at the first chunked message (see no_entries.ts).
  #targets: Map<MessageId, Address[]> = noEntries();

  /** The targets of `message` (its first chunk's id), drawn by `sample` the first time. */
  of(message: MessageId, except: Address | undefined, sample: () => Address[]): Address[] {
    let targets = this.#targets.get(message);
    if (targets === undefined) {
      targets = sample();
      this.#targets = ownMap(this.#targets);
      this.#targets.set(message, targets);
      if (this.#targets.size > REMEMBERED_MESSAGES) {
        this.#targets.delete(this.#targets.keys().next().value!);
      }
    }
    return except === undefined ? targets : targets.filter((peer) => peer !== except);
  }
}
