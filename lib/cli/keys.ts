/**
 * Reading the CLI's `--signing-key` file.
 *
 * @module
 */

import { GossipError } from "../errors.ts";

/**
 * The private key in a `--signing-key` file: the last line that is neither blank nor a `#`
 * comment. So the two-line output of `keygen --signing` (public, then private) works as it is, as
 * does a file holding only the private key. The key itself is checked when the node starts.
 *
 * @throws {GossipError} `invalid_option` when the file cannot be read or holds no key.
 *
 * @example
 * ```ts
 * import { readSigningKey } from "./keys.ts";
 * const text = "# public\nPUB\n# private\nPRIV\n";
 * if (await readSigningKey("k", () => Promise.resolve(text)) !== "PRIV") throw new Error("last");
 * ```
 */
export async function readSigningKey(
  path: string,
  readTextFile: (path: string) => Promise<string> = Deno.readTextFile,
): Promise<string> {
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (error) {
    const reason = ((error as Error).message.split("\n")[0] ?? "").trim();
    throw new GossipError(
      "invalid_option",
      `Cannot read signing key file ${path}: ${reason}`,
      { cause: error },
    );
  }
  const lines = text.split(/\r?\n/).map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const key = lines.at(-1);
  if (key === undefined) {
    throw new GossipError(
      "invalid_option",
      `Invalid signing key file ${path}: it holds no key (make one with "keygen --signing")`,
    );
  }
  return key;
}
