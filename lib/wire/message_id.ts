/**
 * Message ids: 64 bits made of the origin node's 40-bit id and a 24-bit sequence number.
 *
 * Tying ids to their origin keeps anti-entropy digests compact (a range of sequence numbers per
 * origin instead of a list of ids) and makes a restarted node, which draws a fresh random node id,
 * unable to collide with its earlier self. 40 random bits keep the chance that two of 10,000 nodes
 * share an id below 1 in 20,000; a node that exhausts 2^24 sequence numbers draws a new id.
 *
 * @module
 */

/** A 64-bit message id: `origin << 24 | seq`. */
export type MessageId = bigint;

/** Number of distinct node ids (2^40). */
export const NODE_ID_SPACE = 2 ** 40;
/** Largest sequence number an origin may use (2^24 - 1). */
export const MAX_SEQ = 2 ** 24 - 1;

/** Builds a message id from its origin node id and sequence number. */
export function makeMessageId(origin: number, seq: number): MessageId {
  return (BigInt(origin) << 24n) | BigInt(seq);
}

/** The origin node id of a message id. */
export function originOf(id: MessageId): number {
  return Number(id >> 24n);
}

/** The sequence number of a message id. */
export function seqOf(id: MessageId): number {
  return Number(id & 0xffffffn);
}

/** Formats an id as 16 lowercase hex digits, as the CLI and logs show it. */
export function formatMessageId(id: MessageId): string {
  return id.toString(16).padStart(16, "0");
}
