/**
 * Cluster labels: a name that keeps two clusters on one network apart.
 *
 * With keys, the label is bound into every sealed datagram as AES-GCM additional data, so it costs
 * no bytes on the wire and a datagram of another cluster fails authentication. Without keys, a
 * labelled datagram carries a 4-byte tag: the first 4 bytes of SHA-256 of the label. A tag rather
 * than the label itself (memberlist sends length + bytes, up to 257) because it is fixed-size
 * (5 bytes of envelope whatever the label), and a label without keys is a guard against accidents
 * (a misconfigured seed list), not against attackers; for that 2^-32 odds of two labels sharing a
 * tag are plenty. An attacker can forge any unkeyed traffic anyway.
 *
 * @module
 */

import { GossipError } from "../errors.ts";

/** Longest label, in UTF-8 bytes. */
export const MAX_LABEL_BYTES = 255;
/** Bytes of the label tag carried by unkeyed labelled datagrams. */
export const LABEL_TAG_BYTES = 4;

/**
 * The UTF-8 bytes of `label`.
 *
 * @throws {GossipError} `invalid_option` when longer than 255 bytes.
 *
 * @example
 * ```ts
 * import { labelBytes } from "./label.ts";
 * if (labelBytes("prod").length !== 4) throw new Error("utf-8");
 * ```
 */
export function labelBytes(label: string): Uint8Array {
  const bytes = new TextEncoder().encode(label);
  if (bytes.length > MAX_LABEL_BYTES) {
    throw new GossipError(
      "invalid_option",
      `Invalid label: ${bytes.length} bytes; use at most ${MAX_LABEL_BYTES}`,
    );
  }
  return bytes;
}

/**
 * The 4-byte tag of `label` (first bytes of SHA-256, domain-separated).
 *
 * @example
 * ```ts
 * import { labelTag } from "./label.ts";
 * const a = await labelTag("blue"), b = await labelTag("green");
 * if (a.length !== 4 || a.every((x, i) => x === b[i])) throw new Error("distinct tags");
 * ```
 */
export async function labelTag(label: string): Promise<Uint8Array> {
  const input = new TextEncoder().encode(`starling/label/v1\0`);
  const bytes = labelBytes(label);
  const all = new Uint8Array(input.length + bytes.length);
  all.set(input);
  all.set(bytes, input.length);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return hash.slice(0, LABEL_TAG_BYTES);
}
