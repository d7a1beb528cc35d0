/**
 * What the engine checks before it publishes: flags and sizes of a payload, and the ids reserved
 * for signed messages (taken with `reserveId()`, published with `publishSigned()`; see
 * docs/SECURITY.md). Program mistakes throw {@linkcode GossipError}s that say what to do.
 *
 * @module
 */

import { GossipError } from "../errors.ts";
import { DataFlag, SIGNATURE_BYTES } from "../wire/frame.ts";
import type { MessageId } from "../wire/message_id.ts";
import { noMembers, ownSet } from "../core/no_entries.ts";

/** Ids reserved for signed messages and not yet published, at most. */
const MAX_RESERVED = 1024;

/**
 * Checks `flags` (only Signed and Repair are the caller's) and the size of `data`: at most
 * `maxPayload`, and with any flag at most `maxSingle` (one data frame).
 *
 * @throws {GossipError} `invalid_argument` for engine-set flags, `payload_too_large` for size.
 */
export function checkPublishLimits(
  data: Uint8Array,
  flags: number,
  maxPayload: number,
  maxSingle: number,
): void {
  if ((flags & ~(DataFlag.Signed | DataFlag.Repair)) !== 0) {
    throw new GossipError(
      "invalid_argument",
      "Cannot publish with the Chunk, Beacon or Reroot flag: the engine sets them; pass Signed or 0",
    );
  }
  if (data.length > maxPayload || (flags !== 0 && data.length > maxSingle)) {
    const limit = flags === 0 ? maxPayload : maxSingle;
    throw new GossipError(
      "payload_too_large",
      `Cannot publish ${data.length} bytes: the limit is ${limit}` +
        (flags === 0
          ? ` (maxMessageSize); raise maxMessageSize (up to 1048576) or send a smaller payload`
          : ` for a flagged (signed) message, which must fit one datagram; send a smaller one`),
    );
  }
}

/**
 * `data ‖ signature`, the payload of a signed data frame.
 *
 * @throws {GossipError} `invalid_argument` when `signature` is not 64 bytes.
 */
export function signedPayload(data: Uint8Array, signature: Uint8Array): Uint8Array {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
    throw new GossipError(
      "invalid_argument",
      `Cannot publish a signed message: the signature must be ${SIGNATURE_BYTES} bytes`,
    );
  }
  const payload = new Uint8Array(data.length + SIGNATURE_BYTES);
  payload.set(data);
  payload.set(signature, data.length);
  return payload;
}

/** The ids handed out by `reserveId()` and not yet published (bounded). */
export class IdReservations {
  // Made at the first reservation (see no_entries.ts).
  #ids: Set<MessageId> = noMembers();

  /**
   * Takes an id with `take` and records it as reserved.
   *
   * @throws {GossipError} `invalid_argument` when 1,024 reserved ids wait to be published (then
   * no id is taken).
   */
  reserve(take: () => MessageId): MessageId {
    if (this.#ids.size >= MAX_RESERVED) {
      throw new GossipError(
        "invalid_argument",
        `Cannot reserve a message id: ${MAX_RESERVED} reserved ids wait for publishSigned(); ` +
          "publish them (or sign fewer at once)",
      );
    }
    const id = take();
    this.#ids = ownSet(this.#ids);
    this.#ids.add(id);
    return id;
  }

  /**
   * Checks that `id` is reserved and not yet published.
   *
   * @throws {GossipError} `invalid_argument` otherwise.
   */
  check(id: MessageId): void {
    if (!this.#ids.has(id)) {
      throw new GossipError(
        "invalid_argument",
        `Cannot publish under id ${id}: it was not reserved, or was published already; ` +
          "take one from reserveId()",
      );
    }
  }

  /** Forgets `id` (it was published). */
  delete(id: MessageId): void {
    this.#ids.delete(id);
  }
}
