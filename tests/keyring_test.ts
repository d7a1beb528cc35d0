import assert from "node:assert/strict";
import { GossipError } from "../lib/errors.ts";
import {
  decodeBase64,
  deriveKeyFromPassphrase,
  encodeBase64,
  generateKey,
  parseKey,
  parseKeyFile,
} from "../lib/security/key_material.ts";
import { keyIdentity, Keyring } from "../lib/security/keyring.ts";
import { Sealer } from "../lib/security/sealer.ts";

const plain = new Uint8Array([1, 8, 0, 0, 0, 0, 1, 0, 0, 0, 0]);

Deno.test("Keyring: primary seals, every installed key opens, removed keys stop opening", async () => {
  const k1 = generateKey();
  // Key ids are one byte: two random keys share one once in 256 runs, and a removed key's id
  // then names the other key (the datagram fails to decrypt instead of naming no key).
  let k2 = generateKey();
  while ((await keyIdentity(k2)).keyId === (await keyIdentity(k1)).keyId) k2 = generateKey();
  const senderRing = await Keyring.create([k1]);
  const receiverRing = await Keyring.create([k1]);
  const sender = await Sealer.create({ keyring: senderRing });
  const receiver = await Sealer.create({ keyring: receiverRing });
  await receiverRing.install(k2);
  await senderRing.install(k2);
  await senderRing.use(k2);
  assert.equal(senderRing.primary.fingerprint, (await receiverRing.install(k2)).fingerprint);
  assert.ok((await receiver.open(await sender.seal(plain))).ok, "new primary opens at receiver");
  await senderRing.use(encodeBase64(k1));
  assert.ok((await receiver.open(await sender.seal(plain))).ok, "old key still opens");
  await receiverRing.use(k2);
  await receiverRing.remove(k1);
  assert.deepEqual(
    await receiver.open(await sender.seal(plain)),
    { ok: false, reason: "unknown_key" },
  );
  assert.deepEqual(receiverRing.list().map((k) => k.primary), [true]);
});

Deno.test("Keyring refuses to remove the primary key and to use an absent key", async () => {
  const k1 = generateKey();
  const ring = await Keyring.create([k1, generateKey()]);
  assert.equal(ring.size, 2);
  assert.ok(ring.list()[0]!.primary);
  await assert.rejects(() => ring.remove(k1), GossipError);
  await assert.rejects(() => ring.use(generateKey()), /not installed/);
  await assert.rejects(() => Keyring.create([]), GossipError);
  await assert.rejects(() => ring.install(new Uint8Array(16)), /32 bytes/);
});

Deno.test("Key material: base64 key files, one key per line, primary first", () => {
  const a = generateKey(), b = generateKey();
  const keys = parseKeyFile(`# comment\n\n ${encodeBase64(a)} \r\n${encodeBase64(b)}\n`);
  assert.deepEqual(keys, [a, b]);
  assert.throws(() => parseKeyFile("# nothing\n"), /holds no key/);
  assert.throws(() => parseKeyFile(`${encodeBase64(a)}\nnot base64!\n`), /line 2/);
  assert.throws(() => parseKey(encodeBase64(new Uint8Array(16))), /16 bytes/);
  assert.equal(decodeBase64("a"), undefined);
  assert.deepEqual(decodeBase64("_-8"), new Uint8Array([0xff, 0xef]));
});

Deno.test("Key material: passphrases derive the same key everywhere, salt separates", async () => {
  const one = await deriveKeyFromPassphrase("correct horse battery", "prod", 1000);
  const two = await deriveKeyFromPassphrase("correct horse battery", "prod", 1000);
  const other = await deriveKeyFromPassphrase("correct horse battery", "test", 1000);
  assert.equal(one.length, 32);
  assert.deepEqual(one, two);
  assert.notDeepEqual(one, other);
  await assert.rejects(() => deriveKeyFromPassphrase("short"), /at least 8/);
});
