/**
 * Where cluster keys come from: a base64 key file, a fresh random key, or a passphrase.
 *
 * A key is 32 random bytes (AES-256). A key file holds one base64 key per line; the first line is
 * the primary key (it seals), later lines are installed for opening only, which is what a rolling
 * rotation needs. Blank lines and lines starting with `#` are ignored.
 *
 * Passphrases go through PBKDF2-HMAC-SHA256 with 600,000 iterations (the OWASP 2023 figure for
 * this hash). A passphrase is a low-entropy secret, so the derivation must be slow to make
 * guessing expensive; HKDF is the right tool only for secrets that are already uniformly random
 * and would give an attacker one cheap guess per hash here. The salt is a fixed,
 * domain-separated string (plus an optional caller salt such as the cluster label) because every
 * node must derive the same key from the same passphrase without exchanging anything.
 *
 * @module
 */

import { GossipError } from "../errors.ts";

/** Bytes of a cluster key (AES-256). */
export const KEY_BYTES = 32;
/** PBKDF2 iterations used by {@linkcode deriveKeyFromPassphrase}. */
export const PBKDF2_ITERATIONS = 600_000;
/** Domain-separation prefix of the PBKDF2 salt. */
export const PASSPHRASE_SALT_PREFIX = "starling/cluster-key/v1";

/**
 * A fresh random 32-byte key from the platform's CSPRNG.
 *
 * @example
 * ```ts
 * import { generateKey } from "./key_material.ts";
 * if (generateKey().length !== 32) throw new Error("32 bytes");
 * ```
 */
export function generateKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(KEY_BYTES));
}

/**
 * Base64 text of `bytes` (standard alphabet, padded).
 *
 * @example
 * ```ts
 * import { encodeBase64 } from "./key_material.ts";
 * if (encodeBase64(new Uint8Array([1, 2, 3])) !== "AQID") throw new Error("base64");
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
  return btoa(text);
}

/**
 * Bytes of base64 `text` (standard or URL alphabet, padding optional); undefined when malformed.
 *
 * @example
 * ```ts
 * import { decodeBase64 } from "./key_material.ts";
 * if (decodeBase64("AQID")?.[2] !== 3) throw new Error("decoded");
 * ```
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  let clean = text.trim().replaceAll("-", "+").replaceAll("_", "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  clean = clean.replace(/=+$/, "");
  if (clean.length % 4 === 1) return undefined;
  clean += "=".repeat((4 - (clean.length % 4)) % 4);
  try {
    const raw = atob(clean);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Parses one base64 key.
 *
 * @throws {GossipError} `invalid_option` when it is not base64 of exactly 32 bytes.
 *
 * @example
 * ```ts
 * import { encodeBase64, generateKey, parseKey } from "./key_material.ts";
 * const key = generateKey();
 * if (parseKey(encodeBase64(key))[0] !== key[0]) throw new Error("round trip");
 * ```
 */
export function parseKey(text: string): Uint8Array {
  const bytes = decodeBase64(text);
  if (!bytes || bytes.length !== KEY_BYTES) {
    throw new GossipError(
      "invalid_option",
      `Invalid key: expected base64 of ${KEY_BYTES} bytes, got ${
        bytes ? `${bytes.length} bytes` : "text that is not base64"
      }; make one with "starling keygen"`,
    );
  }
  return bytes;
}

/**
 * Parses the text of a key file: one base64 key per line, primary first; `#` comments and blank
 * lines skipped.
 *
 * @throws {GossipError} `invalid_option` when the file holds no key or a malformed line (the
 * message names the line, never the key).
 *
 * @example
 * ```ts
 * import { encodeBase64, generateKey, parseKeyFile } from "./key_material.ts";
 * const text = `# cluster keys\n${encodeBase64(generateKey())}\n${encodeBase64(generateKey())}\n`;
 * if (parseKeyFile(text).length !== 2) throw new Error("two keys");
 * ```
 */
export function parseKeyFile(text: string): Uint8Array[] {
  const keys: Uint8Array[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    try {
      keys.push(parseKey(line));
    } catch (error) {
      throw new GossipError(
        "invalid_option",
        `Invalid key file line ${i + 1}: ${(error as Error).message}`,
      );
    }
  }
  if (keys.length === 0) {
    throw new GossipError(
      "invalid_option",
      'Invalid key file: it holds no key; put one base64 key per line (see "starling keygen")',
    );
  }
  return keys;
}

/**
 * Derives a 32-byte cluster key from a passphrase with PBKDF2-HMAC-SHA256 (600,000 iterations).
 * Every node given the same passphrase and `salt` derives the same key. Takes a few hundred ms.
 *
 * @param passphrase At least 8 characters; a long random phrase is far better.
 * @param salt Extra salt (for example the cluster label) so two clusters with the same
 * passphrase get different keys. @default {""}
 * @throws {GossipError} `invalid_option` for a passphrase under 8 characters.
 *
 * @example
 * ```ts ignore
 * import { deriveKeyFromPassphrase } from "./key_material.ts";
 * const key = await deriveKeyFromPassphrase("correct horse battery staple");
 * ```
 */
export async function deriveKeyFromPassphrase(
  passphrase: string,
  salt = "",
  iterations: number = PBKDF2_ITERATIONS,
): Promise<Uint8Array> {
  if (passphrase.length < 8) {
    throw new GossipError(
      "invalid_option",
      "Invalid passphrase: use at least 8 characters (a long random phrase is better)",
    );
  }
  const encoder = new TextEncoder();
  const base = await crypto.subtle.importKey(
    "raw",
    encoder.encode(passphrase),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    {
      name: "PBKDF2",
      hash: "SHA-256",
      salt: encoder.encode(`${PASSPHRASE_SALT_PREFIX}\0${salt}`),
      iterations,
    },
    base,
    KEY_BYTES * 8,
  );
  return new Uint8Array(bits);
}
