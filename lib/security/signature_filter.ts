/**
 * {@linkcode OriginSignatureFilter}: signs what this node publishes and checks the data frames of
 * received datagrams against the accepted publisher keys before the engine sees them, so a message
 * that is unsigned or wrongly signed is neither delivered nor forwarded. The node runs it inside a
 * {@linkcode SignatureTransport} (signature_transport.ts); the engine attaches signatures when it
 * publishes (`reserveId`, `publishSigned`) and strips them on delivery.
 *
 * Web Crypto is asynchronous, so this runs below the engine, not inside it:
 *
 * ```ts ignore
 * // publish
 * const id = engine.reserveId();
 * engine.publishSigned(id, payload, await filter.sign(id, payload), now);
 * // receive
 * const passed = await filter.filter(bytes, (id) => engine.hasSeen(id));
 * if (passed) engine.receive(passed, from, now);
 * ```
 *
 * A signed data frame has {@linkcode DataFlag.Signed} and its payload ends with the 64-byte
 * signature. With accepted publishers configured, a data frame that is unsigned or whose signature
 * matches none of the keys is removed from its datagram and counted; the datagram's other frames
 * go on. A signature is verified once per message id: a copy of a message the engine has already
 * accepted (its seen set) is a duplicate the engine drops, so it is not verified again.
 *
 * @module
 */

import { GossipError } from "../errors.ts";
import { encodeFrames } from "../core/outbox.ts";
import { decodeDatagram, MAX_UDP_PAYLOAD } from "../wire/codec.ts";
import { DataFlag, type DataFrame, type Frame, FrameType, SIGNATURE_BYTES } from "../wire/frame.ts";
import { type MessageId, originOf } from "../wire/message_id.ts";
import {
  importPublisherKey,
  importSigningKey,
  signMessage,
  verifyMessage,
} from "./origin_signer.ts";

/** Why {@linkcode OriginSignatureFilter} refused a data frame. */
export type SignatureReason = "unsigned" | "bad_signature";

/** Options of {@linkcode OriginSignatureFilter.create}. */
export interface SignatureFilterOptions {
  /** This node's private key (base64 PKCS#8 or an imported key) to sign what it publishes. */
  signingKey?: string | CryptoKey;
  /**
   * Public keys (base64 raw, or imported) whose messages are accepted. When given, unsigned and
   * wrongly signed messages are dropped; when absent, nothing is checked.
   */
  acceptPublishers?: readonly (string | CryptoKey)[];
  /** Origins remembered with the key that last verified for them. @default {4096} */
  hintCapacity?: number;
}

/** Counters of an {@linkcode OriginSignatureFilter}. */
export interface SignatureStats {
  /** Messages signed by this node. */
  signed: number;
  /** Data frames whose signature verified. */
  verified: number;
  /** Data frames of messages already accepted, passed on without verifying again. */
  seenSkipped: number;
  /** Data frames removed from their datagram, by reason. */
  dropped: Record<string, number>;
}

export { stripSignature } from "../wire/frame.ts";

/**
 * Signs published messages and checks received ones.
 *
 * @example
 * ```ts
 * import { encodeFrames } from "../core/outbox.ts";
 * import { DataFlag, FrameType } from "../wire/frame.ts";
 * import { generateSigningKeyPair } from "./origin_signer.ts";
 * import { OriginSignatureFilter } from "./signature_filter.ts";
 * const pair = await generateSigningKeyPair();
 * const publisher = await OriginSignatureFilter.create({ signingKey: pair.privateKey });
 * const receiver = await OriginSignatureFilter.create({ acceptPublishers: [pair.publicKey] });
 * const data = new Uint8Array([9]);
 * const payload = new Uint8Array([...data, ...await publisher.sign(5n, data)]);
 * const frame = { type: FrameType.Data, flags: DataFlag.Signed, id: 5n, hops: 0, payload } as const;
 * const unseen = () => false;
 * if (!(await receiver.filter(encodeFrames([frame]), unseen))) throw new Error("accepted");
 * const forged = encodeFrames([{ ...frame, id: 6n }]);
 * if ((await receiver.filter(forged, unseen)) !== undefined) throw new Error("refused");
 * ```
 */
export class OriginSignatureFilter {
  readonly #signingKey: CryptoKey | undefined;
  readonly #publishers: CryptoKey[] | undefined;
  readonly #hints = new Map<number, number>();
  readonly #hintCapacity: number;
  #signed = 0;
  #verified = 0;
  #seenSkipped = 0;
  #dropped: Record<string, number> = {};

  private constructor(
    signingKey: CryptoKey | undefined,
    publishers: CryptoKey[] | undefined,
    hintCapacity: number,
  ) {
    this.#signingKey = signingKey;
    this.#publishers = publishers;
    this.#hintCapacity = hintCapacity;
  }

  /**
   * A filter for `options`.
   *
   * @throws {GossipError} `invalid_option` for a malformed key.
   */
  static async create(options: SignatureFilterOptions = {}): Promise<OriginSignatureFilter> {
    const signing = typeof options.signingKey === "string"
      ? await importSigningKey(options.signingKey)
      : options.signingKey;
    let publishers: CryptoKey[] | undefined;
    if (options.acceptPublishers !== undefined) {
      publishers = [];
      for (const key of options.acceptPublishers) {
        publishers.push(typeof key === "string" ? await importPublisherKey(key) : key);
      }
    }
    return new OriginSignatureFilter(signing, publishers, options.hintCapacity ?? 4096);
  }

  /** True when this node signs what it publishes. */
  get signing(): boolean {
    return this.#signingKey !== undefined;
  }

  /** True when received messages are checked. */
  get checking(): boolean {
    return this.#publishers !== undefined;
  }

  /**
   * The 64-byte signature of message `id` with `payload`, for `engine.publishSigned()`.
   *
   * @throws {GossipError} `invalid_option` when no signing key was given.
   */
  async sign(id: MessageId, payload: Uint8Array): Promise<Uint8Array> {
    const key = this.#signingKey;
    if (key === undefined) {
      throw new GossipError(
        "invalid_option",
        'Cannot sign: no signing key; pass signingKey (see "starling keygen --signing")',
      );
    }
    const signature = await signMessage(key, id, payload);
    this.#signed++;
    return signature;
  }

  /**
   * Checks the data frames of a plain datagram: returns it whole when they all pass, without
   * the frames that fail (re-encoded), or undefined when nothing is left. Frames of messages
   * `seen(id)` says were accepted already are duplicates and pass unverified. Datagrams that do
   * not decode pass as they are (the engine counts them). Never throws.
   */
  async filter(
    bytes: Uint8Array,
    seen: (id: MessageId) => boolean,
  ): Promise<Uint8Array | undefined> {
    const publishers = this.#publishers;
    if (publishers === undefined) return bytes;
    const decoded = decodeDatagram(bytes, MAX_UDP_PAYLOAD);
    if (!decoded.ok) return bytes;
    let kept: Frame[] | undefined;
    const frames = decoded.frames;
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      const ok = frame.type !== FrameType.Data || await this.#check(publishers, frame, seen);
      if (ok) kept?.push(frame);
      else kept ??= frames.slice(0, i);
    }
    if (kept === undefined) return bytes;
    return kept.length === 0 ? undefined : encodeFrames(kept);
  }

  /** The counters. */
  stats(): SignatureStats {
    return {
      signed: this.#signed,
      verified: this.#verified,
      seenSkipped: this.#seenSkipped,
      dropped: { ...this.#dropped },
    };
  }

  /** True when data frame `frame` may go on (counted either way). */
  async #check(
    publishers: CryptoKey[],
    frame: DataFrame,
    seen: (id: MessageId) => boolean,
  ): Promise<boolean> {
    if ((frame.flags & DataFlag.Signed) === 0 || frame.payload.length < SIGNATURE_BYTES) {
      this.#drop("unsigned");
      return false;
    }
    if (seen(frame.id)) {
      this.#seenSkipped++;
      return true;
    }
    const split = frame.payload.length - SIGNATURE_BYTES;
    const body = frame.payload.subarray(0, split);
    const signature = frame.payload.subarray(split);
    if (!(await this.#verify(publishers, originOf(frame.id), frame.id, body, signature))) {
      this.#drop("bad_signature");
      return false;
    }
    this.#verified++;
    return true;
  }

  async #verify(
    publishers: CryptoKey[],
    origin: number,
    id: MessageId,
    body: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean> {
    const hint = this.#hints.get(origin);
    if (hint !== undefined && publishers[hint] !== undefined) {
      if (await verifyMessage(publishers[hint], id, body, signature)) return true;
    }
    for (let i = 0; i < publishers.length; i++) {
      if (i === hint) continue;
      if (await verifyMessage(publishers[i]!, id, body, signature)) {
        this.#hints.delete(origin);
        this.#hints.set(origin, i);
        if (this.#hints.size > this.#hintCapacity) {
          this.#hints.delete(this.#hints.keys().next().value as number);
        }
        return true;
      }
    }
    return false;
  }

  #drop(reason: SignatureReason): void {
    this.#dropped[reason] = (this.#dropped[reason] ?? 0) + 1;
  }
}
