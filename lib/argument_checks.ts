/**
 * Checks of what a program passes to the public API, so that a wrong type fails at once with a
 * {@linkcode GossipError} that says what to pass, instead of a bare `TypeError` deep inside or,
 * worse, a silent conversion (`new Uint8Array("hello")` is five zero bytes).
 *
 * Pure: the engine uses these too.
 *
 * @module
 */

import { GossipError } from "./errors.ts";

function kindOf(value: unknown): string {
  return typeof value;
}

/** How a value is named in a message: its type, and for short strings the value itself. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") {
    return value.length <= 20 ? `the string ${JSON.stringify(value)}` : "a string";
  }
  if (typeof value === "object") {
    const name = (value as object).constructor?.name;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  return `${typeof value === "undefined" ? "undefined" : `the ${typeof value} ${String(value)}`}`;
}

/**
 * Checks the arguments of a publish: `data` must be a `Uint8Array`, `flags` (when given) a byte.
 *
 * @throws {GossipError} `invalid_argument` naming what was passed and what to pass instead.
 *
 * @example
 * ```ts
 * import { checkPublishArguments } from "./argument_checks.ts";
 * checkPublishArguments(new Uint8Array(3), 0);
 * let threw = false;
 * try {
 *   checkPublishArguments("hello" as unknown as Uint8Array, undefined);
 * } catch {
 *   threw = true;
 * }
 * if (!threw) throw new Error("a string is refused");
 * ```
 */
export function checkPublishArguments(data: unknown, flags: unknown): void {
  if (!(data instanceof Uint8Array)) {
    const hint = typeof data === "string"
      ? " (encode text with new TextEncoder().encode(text))"
      : ArrayBuffer.isView(data) || data instanceof ArrayBuffer
      ? " (wrap it: new Uint8Array(buffer))"
      : "";
    throw new GossipError(
      "invalid_argument",
      `Cannot publish ${describeValue(data)}: pass the payload as a Uint8Array${hint}`,
    );
  }
  if (
    flags !== undefined &&
    (!Number.isInteger(flags) || (flags as number) < 0 || (flags as number) > 255)
  ) {
    throw new GossipError(
      "invalid_argument",
      `Cannot publish with flags ${
        describeValue(flags)
      }: pass a whole number from 0 to 255, or omit it`,
    );
  }
}

/**
 * Checks that `options` is a plain object (or undefined) before anything reads it.
 *
 * @throws {GossipError} `invalid_option` for null, an array, a string and the like.
 */
export function checkOptionsObject(options: unknown, what: string): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new GossipError(
      "invalid_option",
      `Invalid ${what}: got ${
        describeValue(options)
      }; pass an object such as { listen: "127.0.0.1:7946" }`,
    );
  }
}

/**
 * Checks that an option, when set, has the expected JavaScript type.
 *
 * @throws {GossipError} `invalid_option` naming the option, what it got and what it takes.
 */
export function checkOptionType(
  name: string,
  value: unknown,
  expected: "string" | "number" | "boolean" | "function" | "object" | "string[]",
  example: string,
): void {
  if (value === undefined) return;
  const ok = expected === "string[]"
    ? Array.isArray(value) && value.every((item) => typeof item === "string")
    : expected === "object"
    ? typeof value === "object" && value !== null
    : kindOf(value) === expected;
  if (!ok) {
    const kind = expected === "string[]" ? "an array of strings" : `a ${expected}`;
    throw new GossipError(
      "invalid_option",
      `Invalid option ${name}: got ${describeValue(value)}; pass ${kind}, such as ${example}`,
    );
  }
}
