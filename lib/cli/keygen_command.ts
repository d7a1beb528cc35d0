/**
 * The pieces of the CLI that deal with keys: `starling keygen` and loading `--key-file`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { GossipError } from "../errors.ts";
import {
  deriveKeyFromPassphrase,
  encodeBase64,
  generateKey,
  parseKeyFile,
} from "../security/key_material.ts";
import { Keyring } from "../security/keyring.ts";
import { generateSigningKeyPair } from "../security/origin_signer.ts";

/** Usage text of `keygen`. */
export const KEYGEN_USAGE =
  `Usage: starling keygen [--passphrase TEXT [--salt TEXT]] [--signing] [--out FILE]

Prints (or writes to FILE, mode 0600, never overwriting) a new base64 cluster key.
  --passphrase TEXT  derive the key from TEXT with PBKDF2-SHA256 (600,000 rounds) instead
  --salt TEXT        extra salt for --passphrase, e.g. the cluster label
  --signing          make an Ed25519 publisher key pair instead (four lines: # public, the
                     public key, # private, the private key)
  --out FILE         write to FILE instead of stdout`;

/** Where {@linkcode keygenCommand} writes; injectable for tests. */
export interface KeygenIo {
  /** Writes text to stdout. */
  print(text: string): void;
  /** Creates `path` with `text`, failing if it exists. */
  writeNewFile(path: string, text: string): Promise<void>;
}

const defaultIo: KeygenIo = {
  print: (text) => {
    Deno.stdout.writeSync(new TextEncoder().encode(text));
  },
  writeNewFile: (path, text) => Deno.writeTextFile(path, text, { createNew: true, mode: 0o600 }),
};

/**
 * Runs `starling keygen` with the arguments after `keygen`; resolves to the text produced.
 *
 * @throws {GossipError} `invalid_option` for unknown flags, a short passphrase or an existing
 * `--out` file (the message says what to do).
 *
 * @example
 * ```ts
 * import { keygenCommand } from "./keygen_command.ts";
 * let out = "";
 * await keygenCommand([], { print: (t) => out += t, writeNewFile: async () => {} });
 * if (out.trim().length !== 44) throw new Error("one base64 key");
 * ```
 */
export async function keygenCommand(
  args: readonly string[],
  io: KeygenIo = defaultIo,
): Promise<string> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        passphrase: { type: "string" },
        salt: { type: "string" },
        signing: { type: "boolean" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new GossipError("invalid_option", `${(error as Error).message}\n${KEYGEN_USAGE}`);
  }
  if (values.help) {
    io.print(`${KEYGEN_USAGE}\n`);
    return KEYGEN_USAGE;
  }
  if (values.signing && values.passphrase !== undefined) {
    throw new GossipError("invalid_option", "Use either --signing or --passphrase, not both");
  }
  let text: string;
  if (values.signing) {
    const pair = await generateSigningKeyPair();
    text = `# public (give to acceptPublishers)\n${pair.publicKey}\n` +
      `# private (keep on the publisher)\n${pair.privateKey}\n`;
  } else {
    const key = values.passphrase === undefined
      ? generateKey()
      : await deriveKeyFromPassphrase(values.passphrase, values.salt ?? "");
    text = `${encodeBase64(key)}\n`;
  }
  if (values.out === undefined) {
    io.print(text);
  } else {
    try {
      await io.writeNewFile(values.out, text);
    } catch (error) {
      throw new GossipError(
        "invalid_option",
        `Cannot write ${values.out}: ${(error as Error).message}; pick a new file name`,
        { cause: error },
      );
    }
  }
  return text;
}

/**
 * Loads a keyring from a `--key-file`: one base64 key per line, the first primary.
 *
 * @throws {GossipError} `invalid_option` when the file is missing or malformed.
 *
 * @example
 * ```ts ignore
 * import { loadKeyring } from "./keygen_command.ts";
 * const keyring = await loadKeyring("/etc/starling/keys");
 * ```
 */
export async function loadKeyring(
  path: string,
  readTextFile: (path: string) => Promise<string> = Deno.readTextFile,
): Promise<Keyring> {
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (error) {
    throw new GossipError(
      "invalid_option",
      `Cannot read key file ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return await Keyring.create(parseKeyFile(text));
}
