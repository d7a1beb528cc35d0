import assert from "node:assert/strict";
import { GossipError } from "../lib/errors.ts";
import { keygenCommand, loadKeyring } from "../lib/cli/keygen_command.ts";
import { parseKeyFile } from "../lib/security/key_material.ts";
import { importPublisherKey, importSigningKey } from "../lib/security/origin_signer.ts";

function io() {
  const files = new Map<string, string>();
  let out = "";
  return {
    files,
    out: () => out,
    io: {
      print: (t: string) => void (out += t),
      writeNewFile: (path: string, text: string) => {
        if (files.has(path)) return Promise.reject(new Error("file exists"));
        files.set(path, text);
        return Promise.resolve();
      },
    },
  };
}

Deno.test("keygen prints a random key, writes --out once, and loads back as a keyring", async () => {
  const t = io();
  await keygenCommand([], t.io);
  assert.equal(parseKeyFile(t.out()).length, 1);
  await keygenCommand(["--out", "k"], t.io);
  await assert.rejects(() => keygenCommand(["--out", "k"], t.io), /pick a new file name/);
  const ring = await loadKeyring("k", (p) => Promise.resolve(t.files.get(p)!));
  assert.equal(ring.size, 1);
  await assert.rejects(
    () => loadKeyring("missing", () => Promise.reject(new Error("nope"))),
    GossipError,
  );
});

Deno.test("keygen --passphrase is deterministic; --signing makes a usable Ed25519 pair", async () => {
  const a = io(), b = io();
  await keygenCommand(["--passphrase", "a long pass phrase", "--salt", "prod"], a.io);
  await keygenCommand(["--passphrase", "a long pass phrase", "--salt", "prod"], b.io);
  assert.equal(a.out(), b.out());
  const s = io();
  await keygenCommand(["--signing"], s.io);
  const lines = s.out().split("\n").filter((l) => l && !l.startsWith("#"));
  assert.equal(lines.length, 2);
  await importPublisherKey(lines[0]!);
  await importSigningKey(lines[1]!);
  await assert.rejects(() => keygenCommand(["--bogus"], s.io), GossipError);
  await assert.rejects(() => keygenCommand(["--signing", "--passphrase", "x"], s.io), /either/);
});
