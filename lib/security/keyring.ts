/**
 * The cluster's AES-256-GCM keys, as memberlist keeps them: one primary key seals every outgoing
 * datagram, every installed key opens incoming ones. Keys can be installed, made primary and
 * removed at runtime, which is how a live cluster rotates keys without losing a message (see
 * docs/SECURITY.md for the procedure).
 *
 * Each key has a one-byte id, the first byte of SHA-256 of the key, sent in clear in every sealed
 * datagram so the receiver tries only the key(s) with that id. Nodes agree on ids without
 * coordination. Ids may collide (1 in 256 per pair); the receiver then tries each key with that id.
 *
 * @module
 */

import { GossipError } from "../errors.ts";
import { KEY_BYTES, parseKey } from "./key_material.ts";

/** One installed key as {@linkcode Keyring.list} shows it (never the key itself). */
export interface KeyInfo {
  /** The one-byte id sent in sealed datagrams. */
  keyId: number;
  /** Hex of the first 8 bytes of SHA-256 of the key: safe to log and compare. */
  fingerprint: string;
  /** True for the key that seals. */
  primary: boolean;
}

/** An installed key, usable by the sealer. */
export interface RingKey {
  /** The one-byte id. */
  readonly keyId: number;
  /** Hex of the first 8 bytes of SHA-256 of the key. */
  readonly fingerprint: string;
  /** The non-extractable AES-GCM key. */
  readonly key: CryptoKey;
}

/** A key as the keyring's methods accept it: raw bytes or base64 text. */
export type KeyInput = Uint8Array | string;

async function digest(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function toBytes(input: KeyInput): Uint8Array {
  if (typeof input === "string") return parseKey(input);
  if (!(input instanceof Uint8Array) || input.length !== KEY_BYTES) {
    throw new GossipError(
      "invalid_option",
      `Invalid key: expected ${KEY_BYTES} bytes; make one with "starling keygen"`,
    );
  }
  return input;
}

/** The id and fingerprint a key gets, without installing it. */
export async function keyIdentity(
  input: KeyInput,
): Promise<{ keyId: number; fingerprint: string }> {
  const hash = await digest(toBytes(input));
  return { keyId: hash[0]!, fingerprint: hex(hash.subarray(0, 8)) };
}

/**
 * A set of AES-256-GCM keys with one primary.
 *
 * @example Rotating to a new key
 * ```ts
 * import { Keyring } from "./keyring.ts";
 * import { generateKey } from "./key_material.ts";
 * const oldKey = generateKey(), newKey = generateKey();
 * const ring = await Keyring.create([oldKey]);
 * await ring.install(newKey); // every node: can open with the new key
 * await ring.use(newKey); // every node, in turn: seal with it
 * await ring.remove(oldKey); // every node: stop accepting the old one
 * if (ring.list().length !== 1) throw new Error("one key left");
 * ```
 */
export class Keyring {
  #keys: RingKey[] = [];
  #primary: RingKey | undefined;

  private constructor() {}

  /**
   * A keyring holding `keys`; the first is primary.
   *
   * @throws {GossipError} `invalid_option` when `keys` is empty or a key is not 32 bytes.
   */
  static async create(keys: readonly KeyInput[]): Promise<Keyring> {
    if (keys.length === 0) {
      throw new GossipError("invalid_option", "Invalid keyring: give at least one key");
    }
    const ring = new Keyring();
    for (const key of keys) await ring.install(key);
    await ring.use(keys[0]!);
    return ring;
  }

  /** The key that seals outgoing datagrams. */
  get primary(): RingKey {
    return this.#primary!;
  }

  /** Number of installed keys. */
  get size(): number {
    return this.#keys.length;
  }

  /**
   * Installs `key` for opening (installing one already present does nothing). Returns its info.
   *
   * @throws {GossipError} `invalid_option` when the key is not 32 bytes.
   */
  async install(key: KeyInput): Promise<KeyInfo> {
    const bytes = toBytes(key);
    const { keyId, fingerprint } = await keyIdentity(bytes);
    const existing = this.#keys.find((k) => k.fingerprint === fingerprint);
    if (!existing) {
      const cryptoKey = await crypto.subtle.importKey(
        "raw",
        bytes as Uint8Array<ArrayBuffer>,
        { name: "AES-GCM" },
        false,
        ["encrypt", "decrypt"],
      );
      this.#keys.push({ keyId, fingerprint, key: cryptoKey });
      this.#primary ??= this.#keys[0];
    }
    return { keyId, fingerprint, primary: this.#primary?.fingerprint === fingerprint };
  }

  /**
   * Makes an installed key primary: it seals from now on.
   *
   * @throws {GossipError} `invalid_option` when the key is not installed.
   */
  async use(key: KeyInput): Promise<void> {
    this.#primary = await this.#find(key, "use");
  }

  /**
   * Removes an installed key; removing one that is absent does nothing.
   *
   * @throws {GossipError} `invalid_option` when it is the primary key (make another primary first).
   */
  async remove(key: KeyInput): Promise<void> {
    const { fingerprint } = await keyIdentity(key);
    const index = this.#keys.findIndex((k) => k.fingerprint === fingerprint);
    if (index < 0) return;
    if (this.#primary?.fingerprint === fingerprint) {
      throw new GossipError(
        "invalid_option",
        "Cannot remove the primary key: make another key primary with use() first",
      );
    }
    this.#keys.splice(index, 1);
  }

  /** The installed keys, primary first, as ids and fingerprints. */
  list(): KeyInfo[] {
    const primary = this.#primary;
    const ordered = primary ? [primary, ...this.#keys.filter((k) => k !== primary)] : this.#keys;
    return ordered.map((k) => ({
      keyId: k.keyId,
      fingerprint: k.fingerprint,
      primary: k === primary,
    }));
  }

  /** The installed keys whose id is `keyId` (usually zero or one). */
  keysWithId(keyId: number): RingKey[] {
    const out: RingKey[] = [];
    for (const k of this.#keys) if (k.keyId === keyId) out.push(k);
    return out;
  }

  async #find(key: KeyInput, verb: string): Promise<RingKey> {
    const { fingerprint } = await keyIdentity(key);
    const found = this.#keys.find((k) => k.fingerprint === fingerprint);
    if (!found) {
      throw new GossipError(
        "invalid_option",
        `Cannot ${verb} key ${fingerprint}: it is not installed; install() it first`,
      );
    }
    return found;
  }
}
