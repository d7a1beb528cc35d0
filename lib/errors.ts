/**
 * Errors the library throws at a program that misuses it. Network input never throws: bad
 * datagrams are dropped and counted instead.
 *
 * @module
 */

/** What kind of mistake a {@linkcode GossipError} reports. */
export type GossipErrorCode =
  | "payload_too_large"
  | "invalid_option"
  | "invalid_argument"
  | "closed"
  | "transport";

/**
 * A mistake of the calling program, with a `code` to branch on and a message that says what to do.
 *
 * @example Catching an oversized publish
 * ```ts
 * import { GossipError } from "./errors.ts";
 * try {
 *   throw new GossipError("payload_too_large", "Cannot publish 900 bytes: the limit is 499");
 * } catch (error) {
 *   if (error instanceof GossipError && error.code === "payload_too_large") {
 *     // split the payload or raise maxDatagramSize
 *   }
 * }
 * ```
 */
export class GossipError extends Error {
  /** Which kind of mistake this is. */
  readonly code: GossipErrorCode;

  /**
   * Creates an error with a code and a message that says what to do.
   *
   * @param code Which kind of mistake this is.
   * @param message What went wrong and what to do about it.
   * @param options The underlying cause, if any.
   */
  constructor(code: GossipErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "GossipError";
    this.code = code;
  }
}
