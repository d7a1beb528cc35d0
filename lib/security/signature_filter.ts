/**
 * {@linkcode OriginSignatureFilter}: signs what this node publishes and checks every data frame of
 * a received datagram against the accepted publisher keys before the engine sees it, so a message
 * that is unsigned or wrongly signed is neither delivered nor forwarded.
 *
 * Web Crypto is asynchronous, so this runs in the driver, not in the pure engine:
 *
 * ```ts ignore
 * // publish
 * const id = engine.nextMessageId();
 * engine.publish(await filter.signPublish(id, payload), now, DataFlag.Signed);
 * // receive
 * if ((await filter.check(bytes)) === true) engine.receive(bytes, from, now);
 * // deliver
 * const data = stripSignature(delivery.data, delivery.flags);
 * ```
 *
 * A signed data frame has {@linkcode DataFlag.Signed} and its payload ends with the 64-byte
 * signature. With accepted publishers configured, a datagram holding any data frame that is
 * unsigned or whose signature matches none of the keys is dropped whole and counted.
 *
 * @module
 */

import { GossipError } from "../errors.ts";
import { decodeDatagram, MAX_UDP_PAYLOAD } from "../wire/codec.ts";
import { DataFlag, FrameType } from "../wire/frame.ts";
import { type MessageId, originOf } from "../wire/message_id.ts";
import {
  importPublisherKey,
  importSigningKey,
  SIGNATURE_BYTES,
  signMessage,
  verifyMessage,
} from "./origin_signer.ts";

/** Why {@linkcode OriginSignatureFilter.check} refused a datagram. */
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
  /** Datagrams dropped, by reason. */
  dropped: Record<string, number>;
}

/**
 * The payload without its trailing signature when `flags` has {@linkcode DataFlag.Signed}.
 *
 * @example
 * ```ts
 * import { stripSignature } from "./signature_filter.ts";
 * const data = new Uint8Array(70);
 * if (stripSignature(data, 1).length !== 6) throw new Error("64 bytes off");
 * if (stripSignature(data, 0).length !== 70) throw new Error("unsigned kept");
 * ```
 */
export function stripSignature(data: Uint8Array, flags: number): Uint8Array {
  if ((flags & DataFlag.Signed) === 0) return data;
  return data.subarray(0, Math.max(0, data.length - SIGNATURE_BYTES));
}

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
 * const payload = await publisher.signPublish(5n, new Uint8Array([9]));
 * const frame = { type: FrameType.Data, flags: DataFlag.Signed, id: 5n, hops: 0, payload } as const;
 * if ((await receiver.check(encodeFrames([frame]))) !== true) throw new Error("accepted");
 * const forged = { ...frame, id: 6n };
 * if ((await receiver.check(encodeFrames([forged]))) !== "bad_signature") throw new Error("refused");
 * ```
 */
export class OriginSignatureFilter {
  readonly #signingKey: CryptoKey | undefined;
  readonly #publishers: CryptoKey[] | undefined;
  readonly #hints = new Map<number, number>();
  readonly #hintCapacity: number;
  #signed = 0;
  #verified = 0;
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
   * `payload ‖ signature` for message `id`; publish it with {@linkcode DataFlag.Signed}.
   *
   * @throws {GossipError} `invalid_option` when no signing key was given.
   */
  async signPublish(id: MessageId, payload: Uint8Array): Promise<Uint8Array> {
    const key = this.#signingKey;
    if (key === undefined) {
      throw new GossipError(
        "invalid_option",
        'Cannot sign: no signing key; pass signingKey (see "starling keygen --signing")',
      );
    }
    const signature = await signMessage(key, id, payload);
    const out = new Uint8Array(payload.length + SIGNATURE_BYTES);
    out.set(payload);
    out.set(signature, payload.length);
    this.#signed++;
    return out;
  }

  /**
   * Checks every data frame of a plain datagram. Returns true to pass it to the engine (also for
   * datagrams that do not decode: the engine counts those), or the reason it was dropped.
   * Never throws.
   */
  async check(bytes: Uint8Array): Promise<true | SignatureReason> {
    const publishers = this.#publishers;
    if (publishers === undefined) return true;
    const decoded = decodeDatagram(bytes, MAX_UDP_PAYLOAD);
    if (!decoded.ok) return true;
    for (const frame of decoded.frames) {
      if (frame.type !== FrameType.Data) continue;
      if ((frame.flags & DataFlag.Signed) === 0 || frame.payload.length < SIGNATURE_BYTES) {
        return this.#drop("unsigned");
      }
      const split = frame.payload.length - SIGNATURE_BYTES;
      const body = frame.payload.subarray(0, split);
      const signature = frame.payload.subarray(split);
      const origin = originOf(frame.id);
      if (!(await this.#verify(publishers, origin, frame.id, body, signature))) {
        return this.#drop("bad_signature");
      }
      this.#verified++;
    }
    return true;
  }

  /** The counters. */
  stats(): SignatureStats {
    return { signed: this.#signed, verified: this.#verified, dropped: { ...this.#dropped } };
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

  #drop(reason: SignatureReason): SignatureReason {
    this.#dropped[reason] = (this.#dropped[reason] ?? 0) + 1;
    return reason;
  }
}
