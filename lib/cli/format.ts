/**
 * How the CLI prints a delivered message: its text, or one JSON line.
 *
 * @module
 */

import type { Delivery } from "../engine/engine.ts";
import { formatMessageId } from "../wire/message_id.ts";

const decoder = new TextDecoder();

/** The JSON line of `--json`. */
export interface DeliveryLine {
  /** Message id, 16 hex digits. */
  id: string;
  /** Publisher's node id, 10 hex digits. */
  origin: string;
  /** Hops travelled. */
  hops: number;
  /** The payload as UTF-8 text (invalid bytes become U+FFFD). */
  data: string;
  /** The peer this copy came from. */
  from: string;
  /** Milliseconds since this node started. */
  t: number;
}

/**
 * Formats one delivery as a line without its newline: the payload text, or with `json` a JSON
 * object ({@linkcode DeliveryLine}).
 *
 * @example
 * ```ts
 * import { formatDelivery } from "./format.ts";
 * const line = formatDelivery({
 *   id: 0x0102030405000001n, origin: 0x0102030405, hops: 1, flags: 0,
 *   data: new TextEncoder().encode("hi"), from: "127.0.0.1:7001",
 * }, true, 12.3);
 * if (JSON.parse(line).id !== "0102030405000001") throw new Error("16 hex digits");
 * ```
 */
export function formatDelivery(delivery: Delivery, json: boolean, t: number): string {
  const text = decoder.decode(delivery.data);
  if (!json) return text.replace(/[\r\n]+/g, " ");
  const line: DeliveryLine = {
    id: formatMessageId(delivery.id),
    origin: delivery.origin.toString(16).padStart(10, "0"),
    hops: delivery.hops,
    data: text,
    from: delivery.from,
    t: Math.round(t * 10) / 10,
  };
  return JSON.stringify(line);
}
