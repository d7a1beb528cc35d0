/**
 * Sealing and opening of whole datagrams: AES-256-GCM with a key id, a fresh nonce per datagram
 * and the cluster label bound as associated data; or, without keys, a label tag.
 *
 * Envelopes (the first byte is never the plain wire version 1, so a node without keys rejects a
 * sealed datagram as `bad_version`, and a keyed node rejects plain ones):
 *
 * ```
 * sealed    0x81 | key id (1) | nonce (12) = epoch (8) ‖ counter (4) | ciphertext | tag (16)
 * labelled  0x82 | label tag (4) | plain datagram
 * ```
 *
 * Sealed overhead is 30 bytes ({@linkcode SEAL_OVERHEAD}); the associated data is the first two
 * bytes ‖ the UTF-8 label, so a datagram of another cluster, sealed with another key, tampered,
 * truncated or re-labelled fails authentication. Nonces never repeat: see replay_window.ts.
 *
 * Network input never throws here: {@linkcode Sealer.open} returns a reason.
 *
 * @module
 */

import { WIRE_VERSION } from "../wire/frame.ts";
import type { Keyring, RingKey } from "./keyring.ts";
import { LABEL_TAG_BYTES, labelBytes, labelTag } from "./label.ts";
import { ReplayWindow } from "./replay_window.ts";

/** First byte of a sealed (AES-GCM) datagram. */
export const SEALED_MARKER = 0x81;
/** First byte of a labelled, unsealed datagram. */
export const LABELLED_MARKER = 0x82;
/** Bytes of the GCM nonce. */
export const NONCE_BYTES = 12;
/** Bytes of the GCM tag. */
export const TAG_BYTES = 16;
/** Bytes a sealed datagram adds to the plain one: marker, key id, nonce, tag. */
export const SEAL_OVERHEAD: number = 2 + NONCE_BYTES + TAG_BYTES;
/** Bytes a labelled unsealed datagram adds: marker and label tag. */
export const LABEL_OVERHEAD: number = 1 + LABEL_TAG_BYTES;
const SEALED_HEADER = 2 + NONCE_BYTES;
const COUNTER_LIMIT = 2 ** 32;

/** Why {@linkcode Sealer.open} refused a datagram. */
export type OpenReason =
  | "empty"
  | "unsealed"
  | "sealed_without_keys"
  | "bad_envelope"
  | "truncated_envelope"
  | "unknown_key"
  | "decrypt_failed"
  | "label_mismatch"
  | "missing_label"
  | "replay"
  | "replay_too_old";

/** Every {@linkcode OpenReason}, in a fixed order for stats tables. */
export const OPEN_REASONS: readonly OpenReason[] = [
  "empty",
  "unsealed",
  "sealed_without_keys",
  "bad_envelope",
  "truncated_envelope",
  "unknown_key",
  "decrypt_failed",
  "label_mismatch",
  "missing_label",
  "replay",
  "replay_too_old",
];

/** Result of {@linkcode Sealer.open}: the plain datagram, or why it was refused. */
export type OpenResult = { ok: true; plain: Uint8Array } | { ok: false; reason: OpenReason };

/** Options of a {@linkcode Sealer}. */
export interface SealerOptions {
  /** Keys to seal and open with; without, datagrams travel in clear (optionally labelled). */
  keyring?: Keyring;
  /** Cluster label; bound as GCM associated data, or sent as a 4-byte tag without keys. */
  label?: string;
  /**
   * Accept plain (and, with a label, correctly labelled unsealed) datagrams although keys are
   * set. Only for switching encryption on in a running cluster; off by default.
   * @default {false}
   */
  acceptUnsealed?: boolean;
  /** Sender epochs tracked for replay detection. @default {8192} */
  replayCapacity?: number;
}

/**
 * Seals outgoing and opens incoming datagrams for one node.
 *
 * @example
 * ```ts
 * import { Keyring } from "./keyring.ts";
 * import { generateKey } from "./key_material.ts";
 * import { Sealer } from "./sealer.ts";
 * const keyring = await Keyring.create([generateKey()]);
 * const a = await Sealer.create({ keyring, label: "prod" });
 * const b = await Sealer.create({ keyring, label: "prod" });
 * const sealed = await a.seal(new Uint8Array([1, 8, 0, 0, 0, 0, 1, 0, 0, 0, 0]));
 * const opened = await b.open(sealed);
 * if (!opened.ok || opened.plain.length !== 11) throw new Error("opens");
 * if ((await b.open(sealed)).ok) throw new Error("replay refused");
 * ```
 */
export class Sealer {
  readonly #keyring: Keyring | undefined;
  readonly #label: Uint8Array;
  readonly #tag: Uint8Array | undefined;
  readonly #acceptUnsealed: boolean;
  readonly #replay: ReplayWindow;
  #epoch = new Uint8Array(8);
  #counter = COUNTER_LIMIT;

  private constructor(options: SealerOptions, tag: Uint8Array | undefined) {
    this.#keyring = options.keyring;
    this.#label = labelBytes(options.label ?? "");
    this.#tag = tag;
    this.#acceptUnsealed = options.acceptUnsealed ?? false;
    this.#replay = new ReplayWindow(options.replayCapacity ?? 8192);
  }

  /**
   * A sealer for `options`.
   *
   * @throws {GossipError} `invalid_option` for a label over 255 bytes.
   */
  static async create(options: SealerOptions = {}): Promise<Sealer> {
    const tag = options.label === undefined || options.label === ""
      ? undefined
      : await labelTag(options.label);
    return new Sealer(options, tag);
  }

  /** True when datagrams are sealed with AES-GCM. */
  get sealed(): boolean {
    return this.#keyring !== undefined;
  }

  /** Bytes each outgoing datagram grows by (30 sealed, 5 labelled, 0 otherwise). */
  get overhead(): number {
    return this.#keyring ? SEAL_OVERHEAD : this.#tag ? LABEL_OVERHEAD : 0;
  }

  /** The replay table (for stats). */
  get replayWindow(): ReplayWindow {
    return this.#replay;
  }

  /** Seals (or labels) one plain datagram. */
  async seal(plain: Uint8Array): Promise<Uint8Array> {
    const keyring = this.#keyring;
    if (keyring === undefined) {
      if (this.#tag === undefined) return plain;
      const out = new Uint8Array(LABEL_OVERHEAD + plain.length);
      out[0] = LABELLED_MARKER;
      out.set(this.#tag, 1);
      out.set(plain, LABEL_OVERHEAD);
      return out;
    }
    const key = keyring.primary;
    const header = new Uint8Array(SEALED_HEADER);
    header[0] = SEALED_MARKER;
    header[1] = key.keyId;
    header.set(this.#nextNonce(), 2);
    const cipher = await crypto.subtle.encrypt(
      {
        name: "AES-GCM",
        iv: header.subarray(2) as Uint8Array<ArrayBuffer>,
        additionalData: this.#aad(key.keyId),
        tagLength: TAG_BYTES * 8,
      },
      key.key,
      plain as Uint8Array<ArrayBuffer>,
    );
    const out = new Uint8Array(SEALED_HEADER + cipher.byteLength);
    out.set(header);
    out.set(new Uint8Array(cipher), SEALED_HEADER);
    return out;
  }

  /** Opens one datagram from the network. Never throws: a refused datagram gets a reason. */
  async open(bytes: Uint8Array): Promise<OpenResult> {
    if (bytes.length === 0) return { ok: false, reason: "empty" };
    const marker = bytes[0];
    const keyring = this.#keyring;
    if (marker === SEALED_MARKER) {
      if (keyring === undefined) return { ok: false, reason: "sealed_without_keys" };
      return await this.#openSealed(keyring, bytes);
    }
    if (marker === LABELLED_MARKER) {
      if (keyring !== undefined && !this.#acceptUnsealed) return { ok: false, reason: "unsealed" };
      if (bytes.length < LABEL_OVERHEAD) return { ok: false, reason: "truncated_envelope" };
      const tag = this.#tag;
      if (tag === undefined) return { ok: false, reason: "label_mismatch" };
      for (let i = 0; i < LABEL_TAG_BYTES; i++) {
        if (bytes[1 + i] !== tag[i]) return { ok: false, reason: "label_mismatch" };
      }
      return { ok: true, plain: bytes.subarray(LABEL_OVERHEAD) };
    }
    if (keyring !== undefined && !this.#acceptUnsealed) return { ok: false, reason: "unsealed" };
    if (this.#tag !== undefined && !this.#acceptUnsealed) {
      return { ok: false, reason: marker === WIRE_VERSION ? "missing_label" : "bad_envelope" };
    }
    // No keys and no label: the engine judges the bytes (and counts bad versions itself).
    return { ok: true, plain: bytes };
  }

  async #openSealed(keyring: Keyring, bytes: Uint8Array): Promise<OpenResult> {
    if (bytes.length <= SEAL_OVERHEAD) return { ok: false, reason: "truncated_envelope" };
    const keyId = bytes[1]!;
    const candidates: RingKey[] = keyring.keysWithId(keyId);
    if (candidates.length === 0) return { ok: false, reason: "unknown_key" };
    const nonce = bytes.subarray(2, SEALED_HEADER) as Uint8Array<ArrayBuffer>;
    const body = bytes.subarray(SEALED_HEADER) as Uint8Array<ArrayBuffer>;
    const aad = this.#aad(keyId);
    let plain: ArrayBuffer | undefined;
    for (const candidate of candidates) {
      try {
        plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: TAG_BYTES * 8 },
          candidate.key,
          body,
        );
        break;
      } catch {
        // Authentication failed with this key; try the next with the same id.
      }
    }
    if (plain === undefined) return { ok: false, reason: "decrypt_failed" };
    const view = new DataView(nonce.buffer, nonce.byteOffset, NONCE_BYTES);
    const verdict = this.#replay.accept(view.getBigUint64(0), view.getUint32(8));
    if (verdict === "replay") return { ok: false, reason: "replay" };
    if (verdict === "too_old") return { ok: false, reason: "replay_too_old" };
    return { ok: true, plain: new Uint8Array(plain) };
  }

  #aad(keyId: number): Uint8Array<ArrayBuffer> {
    const aad = new Uint8Array(2 + this.#label.length);
    aad[0] = SEALED_MARKER;
    aad[1] = keyId;
    aad.set(this.#label, 2);
    return aad;
  }

  #nextNonce(): Uint8Array {
    if (this.#counter >= COUNTER_LIMIT) {
      this.#epoch = crypto.getRandomValues(new Uint8Array(8));
      this.#counter = 0;
    }
    const nonce = new Uint8Array(NONCE_BYTES);
    nonce.set(this.#epoch);
    new DataView(nonce.buffer).setUint32(8, this.#counter++);
    return nonce;
  }
}
