import assert from "node:assert/strict";
import { Engine } from "../lib/engine/engine.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { generateKey } from "../lib/security/key_material.ts";
import { Keyring } from "../lib/security/keyring.ts";
import {
  LABEL_OVERHEAD,
  LABELLED_MARKER,
  SEAL_OVERHEAD,
  SEALED_MARKER,
  Sealer,
} from "../lib/security/sealer.ts";
import { FrameType } from "../lib/wire/frame.ts";
import { encodeFrames } from "../lib/core/outbox.ts";

function plainDatagram(id = 1n, size = 20): Uint8Array {
  const payload = new Uint8Array(size).fill(7);
  return encodeFrames([{ type: FrameType.Data, flags: 0, id, hops: 0, payload }]);
}

async function pair(label?: string): Promise<{ a: Sealer; b: Sealer; key: Uint8Array }> {
  const key = generateKey();
  const options = label === undefined ? {} : { label };
  const a = await Sealer.create({ keyring: await Keyring.create([key]), ...options });
  const b = await Sealer.create({ keyring: await Keyring.create([key]), ...options });
  return { a, b, key };
}

Deno.test("Sealer seals with 30 bytes of overhead and opens to the same bytes", async () => {
  const { a, b } = await pair("prod");
  const plain = plainDatagram();
  const sealed = await a.seal(plain);
  assert.equal(sealed.length - plain.length, SEAL_OVERHEAD);
  assert.equal(SEAL_OVERHEAD, 30);
  assert.equal(sealed[0], SEALED_MARKER);
  assert.equal(a.overhead, 30);
  // A sealed data frame header: 1 version + 13 frame + 30 envelope.
  assert.equal(sealed.length - 20, 44);
  const opened = await b.open(sealed);
  assert.ok(opened.ok);
  assert.deepEqual(opened.plain, plain);
});

Deno.test("Sealer uses a fresh nonce per datagram, so equal plaintexts differ on the wire", async () => {
  const { a } = await pair();
  const plain = plainDatagram();
  const one = await a.seal(plain), two = await a.seal(plain);
  assert.notDeepEqual(one.subarray(2, 14), two.subarray(2, 14));
  assert.notDeepEqual(one.subarray(14), two.subarray(14));
});

Deno.test("Sealer rejects a tampered datagram (any single bit, anywhere)", async () => {
  const { a, b } = await pair("prod");
  const sealed = await a.seal(plainDatagram());
  const reasons = new Set<string>();
  for (let i = 0; i < sealed.length; i++) {
    const copy = sealed.slice();
    copy[i]! ^= 1 << (i % 8);
    const result = await b.open(copy);
    assert.equal(result.ok, false, `bit flipped at byte ${i} must be refused`);
    if (!result.ok) reasons.add(result.reason);
  }
  assert.ok(reasons.has("decrypt_failed"));
  // The untouched datagram still opens: failures did not poison the replay window.
  assert.ok((await b.open(sealed)).ok);
});

Deno.test("Sealer rejects truncated datagrams of every length", async () => {
  const { a, b } = await pair();
  const sealed = await a.seal(plainDatagram());
  for (let n = 0; n < sealed.length; n++) {
    const result = await b.open(sealed.subarray(0, n));
    assert.equal(result.ok, false, `a ${n}-byte prefix must be refused`);
    if (!result.ok) {
      const expected = n === 0
        ? "empty"
        : n <= SEAL_OVERHEAD
        ? "truncated_envelope"
        : "decrypt_failed";
      assert.equal(result.reason, expected);
    }
  }
});

Deno.test("Sealer rejects a datagram forged with the wrong key", async () => {
  const { b } = await pair();
  const forger = await Sealer.create({ keyring: await Keyring.create([generateKey()]) });
  const forged = await forger.seal(plainDatagram());
  const result = await b.open(forged);
  assert.equal(result.ok, false);
  // Usually another key id; force the receiver's id to show authentication refuses it too.
  const sameId = forged.slice();
  const bKeyId = (await b.seal(plainDatagram()))[1]!;
  sameId[1] = bKeyId;
  const again = await b.open(sameId);
  assert.deepEqual(again, { ok: false, reason: "decrypt_failed" });
  if (forged[1] !== bKeyId) assert.deepEqual(result, { ok: false, reason: "unknown_key" });
});

Deno.test("Sealer rejects replayed datagrams and ones older than the window", async () => {
  const { a, b } = await pair();
  const first = await a.seal(plainDatagram(1n));
  assert.ok((await b.open(first)).ok);
  assert.deepEqual(await b.open(first), { ok: false, reason: "replay" });
  // Reordering inside the window is fine.
  const later = [];
  for (let i = 0; i < 10; i++) later.push(await a.seal(plainDatagram(BigInt(i + 2))));
  for (const d of later.reverse()) assert.ok((await b.open(d)).ok);
  for (const d of later) assert.deepEqual(await b.open(d), { ok: false, reason: "replay" });
  // Push the window 2000 counters on; the first datagrams fall out of it.
  let last = first;
  for (let i = 0; i < 2000; i++) last = await a.seal(plainDatagram(5n));
  assert.ok((await b.open(last)).ok);
  assert.deepEqual(await b.open(later[0]!), { ok: false, reason: "replay_too_old" });
});

Deno.test("Sealer rejects a datagram of another cluster label (keyed: label is AAD)", async () => {
  const key = generateKey();
  const blue = await Sealer.create({ keyring: await Keyring.create([key]), label: "blue" });
  const green = await Sealer.create({ keyring: await Keyring.create([key]), label: "green" });
  const none = await Sealer.create({ keyring: await Keyring.create([key]) });
  const sealed = await blue.seal(plainDatagram());
  assert.deepEqual(await green.open(sealed), { ok: false, reason: "decrypt_failed" });
  assert.deepEqual(await none.open(sealed), { ok: false, reason: "decrypt_failed" });
});

Deno.test("Sealer keeps labelled clusters apart without keys (5-byte tag)", async () => {
  const blue = await Sealer.create({ label: "blue" });
  const blue2 = await Sealer.create({ label: "blue" });
  const green = await Sealer.create({ label: "green" });
  const plain = plainDatagram();
  const labelled = await blue.seal(plain);
  assert.equal(labelled[0], LABELLED_MARKER);
  assert.equal(labelled.length - plain.length, LABEL_OVERHEAD);
  assert.deepEqual(await green.open(labelled), { ok: false, reason: "label_mismatch" });
  assert.deepEqual(await blue2.open(plain), { ok: false, reason: "missing_label" });
  const opened = await blue2.open(labelled);
  assert.ok(opened.ok);
  assert.deepEqual(opened.plain, plain);
  const unlabelled = await Sealer.create();
  assert.deepEqual(await unlabelled.open(labelled), { ok: false, reason: "label_mismatch" });
});

Deno.test("Sealer refuses unsealed traffic when keys are set, unless migrating", async () => {
  const { b } = await pair();
  assert.deepEqual(await b.open(plainDatagram()), { ok: false, reason: "unsealed" });
  const migrating = await Sealer.create({
    keyring: await Keyring.create([generateKey()]),
    acceptUnsealed: true,
  });
  assert.ok((await migrating.open(plainDatagram())).ok);
  const keyless = await Sealer.create();
  const sealed = await (await pair()).a.seal(plainDatagram());
  assert.deepEqual(await keyless.open(sealed), { ok: false, reason: "sealed_without_keys" });
});

Deno.test("An engine without keys drops a sealed datagram as bad_version", async () => {
  const { a } = await pair();
  const engine = new Engine({ rng: seededPrng(1) });
  engine.receive(await a.seal(plainDatagram()), "127.0.0.1:9", 0);
  engine.receive(
    await (await Sealer.create({ label: "x" })).seal(plainDatagram()),
    "127.0.0.1:9",
    0,
  );
  assert.equal(engine.stats().dropped.bad_version, 2);
  assert.equal(engine.stats().delivered, 0);
});
