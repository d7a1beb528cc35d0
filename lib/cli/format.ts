/**
 * How the CLI reads payloads from stdin lines and prints delivered messages: as text, base64 or
 * hex (`--format`), and optionally as one JSON object per line (`--json`).
 *
 * Text is raw bytes: a stdin line is published byte for byte (invalid UTF-8 included) and a
 * delivered payload is written byte for byte, with CR and LF replaced by spaces so that one
 * message stays one line. base64 and hex carry any payload exactly, newlines included.
 *
 * @module
 */

import type { Delivery } from "../engine/engine.ts";
import { formatMessageId } from "../wire/message_id.ts";

/** How payloads appear on stdin and stdout. */
export type PayloadFormat = "text" | "base64" | "hex";

/** The formats `--format` accepts. */
export const PAYLOAD_FORMATS: readonly PayloadFormat[] = ["text", "base64", "hex"];

/** How the `data` field of a JSON line is encoded. */
export type DataEncoding = "utf8" | "base64" | "hex";

/** The JSON line of `--json`. */
export interface DeliveryLine {
  /** Message id, 16 hex digits. */
  id: string;
  /** Publisher's node id, 10 hex digits. */
  origin: string;
  /** Hops travelled. */
  hops: number;
  /**
   * The payload, encoded as `encoding` says: with `--format text` it is the UTF-8 text when the
   * payload is valid UTF-8 and base64 otherwise; with `--format base64` or `hex`, always that.
   */
  data: string;
  /** How `data` is encoded: `"utf8"`, `"base64"` or `"hex"`. */
  encoding: DataEncoding;
  /** The peer this copy came from. */
  from: string;
  /** Milliseconds since this node started. */
  t: number;
}

const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder();
const encoder = new TextEncoder();

/** The payload as a string in `encoding`. */
export function encodePayload(data: Uint8Array, encoding: DataEncoding): string {
  if (encoding === "base64") return data.toBase64();
  if (encoding === "hex") return data.toHex();
  return lenient.decode(data);
}

/**
 * The payload of one stdin line in `format`, or a one-line reason why it cannot be sent.
 *
 * @example
 * ```ts
 * import { decodeInput } from "./format.ts";
 * const bytes = decodeInput(new TextEncoder().encode("aGk="), "base64");
 * if (!(bytes instanceof Uint8Array) || bytes.length !== 2) throw new Error("decoded");
 * ```
 */
export function decodeInput(line: Uint8Array, format: PayloadFormat): Uint8Array | string {
  if (format === "text") return line;
  const text = lenient.decode(line).trim();
  try {
    if (format === "base64") return Uint8Array.fromBase64(text);
    return Uint8Array.fromHex(text);
  } catch {
    return `not ${format === "hex" ? "an even number of hex digits" : "valid base64"}`;
  }
}

/** The longest stdin line that can carry `maxPayload` bytes in `format`. */
export function maxLineBytes(maxPayload: number, format: PayloadFormat): number {
  if (format === "hex") return 2 * maxPayload + 2;
  if (format === "base64") return 4 * Math.ceil(maxPayload / 3) + 2;
  return maxPayload;
}

/**
 * Formats one delivery as a line without its newline: the payload in `format`, or with `json`
 * a JSON object ({@linkcode DeliveryLine}). Text is decoded leniently here (for display);
 * {@linkcode deliveryBytes} writes text payloads byte for byte.
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
export function formatDelivery(
  delivery: Delivery,
  json: boolean,
  t: number,
  format: PayloadFormat = "text",
): string {
  if (!json) {
    if (format !== "text") return encodePayload(delivery.data, format);
    return lenient.decode(delivery.data).replace(/[\r\n]/g, " ");
  }
  let encoding: DataEncoding = format === "text" ? "utf8" : format;
  let data: string;
  if (encoding === "utf8") {
    try {
      data = strict.decode(delivery.data);
    } catch {
      encoding = "base64";
      data = delivery.data.toBase64();
    }
  } else {
    data = encodePayload(delivery.data, encoding);
  }
  const line: DeliveryLine = {
    id: formatMessageId(delivery.id),
    origin: delivery.origin.toString(16).padStart(10, "0"),
    hops: delivery.hops,
    data,
    encoding,
    from: delivery.from,
    t: Math.round(t * 10) / 10,
  };
  return JSON.stringify(line);
}

/** One delivery as the bytes of its output line, newline included. */
export function deliveryBytes(
  delivery: Delivery,
  json: boolean,
  t: number,
  format: PayloadFormat,
): Uint8Array {
  if (json || format !== "text") {
    return encoder.encode(formatDelivery(delivery, json, t, format) + "\n");
  }
  const out = new Uint8Array(delivery.data.length + 1);
  out.set(delivery.data);
  for (let i = 0; i < delivery.data.length; i++) {
    if (out[i] === 10 || out[i] === 13) out[i] = 32;
  }
  out[delivery.data.length] = 10;
  return out;
}
