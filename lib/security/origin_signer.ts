/**
 * Ed25519 origin signatures over Web Crypto. A publisher signs
 * `"starling/msg/v1\0" ‖ message id (8 bytes, big endian) ‖ payload`; the context prefix keeps these
 * signatures from being valid for anything else signed with the same key.
 *
 * Keys travel as base64: a public key is its 32 raw bytes, a private key its PKCS#8 encoding.
 *
 * @module
 */

import { GossipError } from "../errors.ts";
import type { MessageId } from "../wire/message_id.ts";
import { decodeBase64, encodeBase64 } from "./key_material.ts";

import { SIGNATURE_BYTES } from "../wire/frame.ts";

export { SIGNATURE_BYTES };
/** Bytes of a raw Ed25519 public key. */
export const PUBLIC_KEY_BYTES = 32;
const CONTEXT = new TextEncoder().encode("starling/msg/v1\0");

/** A signing key pair as text, for files and flags. */
export interface SigningKeyPair {
  /** Base64 of the 32-byte raw public key: give it to every node's `acceptPublishers`. */
  publicKey: string;
  /** Base64 of the PKCS#8 private key: keep it secret, on the publisher only. */
  privateKey: string;
}

/**
 * A fresh Ed25519 key pair.
 *
 * @example
 * ```ts
 * import { generateSigningKeyPair } from "./origin_signer.ts";
 * const pair = await generateSigningKeyPair();
 * if (pair.publicKey.length !== 44) throw new Error("32 bytes in base64");
 * ```
 */
export async function generateSigningKeyPair(): Promise<SigningKeyPair> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  return { publicKey: encodeBase64(raw), privateKey: encodeBase64(pkcs8) };
}

/**
 * Imports a base64 PKCS#8 Ed25519 private key for signing.
 *
 * @throws {GossipError} `invalid_option` when it is not one.
 */
export async function importSigningKey(privateKey: string): Promise<CryptoKey> {
  const bytes = decodeBase64(privateKey);
  try {
    if (!bytes) throw new TypeError("not base64");
    return await crypto.subtle.importKey(
      "pkcs8",
      bytes as Uint8Array<ArrayBuffer>,
      { name: "Ed25519" },
      false,
      ["sign"],
    );
  } catch (error) {
    throw new GossipError(
      "invalid_option",
      "Invalid signing key: expected base64 of an Ed25519 PKCS#8 private key " +
        '(make one with "starling keygen --signing")',
      { cause: error },
    );
  }
}

/**
 * Imports a base64 raw 32-byte Ed25519 public key for verifying.
 *
 * @throws {GossipError} `invalid_option` when it is not one.
 */
export async function importPublisherKey(publicKey: string): Promise<CryptoKey> {
  const bytes = decodeBase64(publicKey);
  if (!bytes || bytes.length !== PUBLIC_KEY_BYTES) {
    throw new GossipError(
      "invalid_option",
      `Invalid publisher key: expected base64 of a ${PUBLIC_KEY_BYTES}-byte Ed25519 public key`,
    );
  }
  return await crypto.subtle.importKey(
    "raw",
    bytes as Uint8Array<ArrayBuffer>,
    { name: "Ed25519" },
    true,
    ["verify"],
  );
}

function signedBytes(id: MessageId, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(CONTEXT.length + 8 + payload.length);
  out.set(CONTEXT);
  new DataView(out.buffer).setBigUint64(CONTEXT.length, id);
  out.set(payload, CONTEXT.length + 8);
  return out;
}

/**
 * The 64-byte signature of message `id` with `payload`.
 *
 * @example
 * ```ts
 * import {
 *   generateSigningKeyPair, importPublisherKey, importSigningKey, signMessage, verifyMessage,
 * } from "./origin_signer.ts";
 * const pair = await generateSigningKeyPair();
 * const data = new Uint8Array([1, 2, 3]);
 * const sig = await signMessage(await importSigningKey(pair.privateKey), 42n, data);
 * const pub = await importPublisherKey(pair.publicKey);
 * if (!(await verifyMessage(pub, 42n, data, sig))) throw new Error("verifies");
 * if (await verifyMessage(pub, 43n, data, sig)) throw new Error("bound to the id");
 * ```
 */
export async function signMessage(
  key: CryptoKey,
  id: MessageId,
  payload: Uint8Array,
): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.sign({ name: "Ed25519" }, key, signedBytes(id, payload)),
  );
}

/** True when `signature` is `key`'s signature of `id` with `payload`. Never throws. */
export async function verifyMessage(
  key: CryptoKey,
  id: MessageId,
  payload: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (signature.length !== SIGNATURE_BYTES) return false;
  try {
    return await crypto.subtle.verify(
      { name: "Ed25519" },
      key,
      signature as Uint8Array<ArrayBuffer>,
      signedBytes(id, payload),
    );
  } catch {
    return false;
  }
}
