import assert from "node:assert/strict";
import { generateKey } from "../lib/security/key_material.ts";
import { Keyring } from "../lib/security/keyring.ts";
import { SecureTransport } from "../lib/security/secure_transport.ts";
import { MemoryNetwork } from "../lib/transport/memory_transport.ts";
import { until } from "./until.ts";

const plain = new Uint8Array([1, 8, 0, 0, 0, 0, 1, 0, 0, 0, 0]);

Deno.test("SecureTransport seals sends, opens receives and counts every drop by reason", async () => {
  const network = new MemoryNetwork();
  const key = generateKey();
  const clock = 0;
  const a = await SecureTransport.wrap(network.open(), {
    keyring: await Keyring.create([key]),
    label: "prod",
  });
  const b = await SecureTransport.wrap(network.open(), {
    keyring: await Keyring.create([key]),
    label: "prod",
    ratePerSecond: 1,
    burst: 8,
    clock: () => clock,
  });
  const raw = network.open();
  const wrongLabel = await SecureTransport.wrap(network.open(), {
    keyring: await Keyring.create([key]),
    label: "test",
  });
  try {
    await a.send(b.localAddress, plain); // opens
    await raw.send(b.localAddress, plain); // unsealed
    await wrongLabel.send(b.localAddress, plain); // decrypt_failed (label is AAD)
    await raw.send(b.localAddress, new Uint8Array([0x81, 1, 2])); // truncated_envelope
    const got: Uint8Array[] = [];
    const reader = (async () => {
      for await (const packet of b) got.push(packet.bytes);
    })();
    const total = () => {
      const s = b.stats().security;
      return s.opened + Object.values(s.dropped).reduce((x, y) => x + y, 0);
    };
    await until(() => total() >= 4, 5000, () => `${total()} of the first 4 datagrams handled`);
    // Buckets are per source: a used 1 of its 8 tokens above, so 7 more pass and 3 are limited.
    for (let i = 0; i < 10; i++) await a.send(b.localAddress, plain);
    await until(() => total() >= 14, 5000, () => `${total()} of 14 datagrams handled`);
    const stats = b.stats();
    assert.equal(stats.security.opened, 8);
    assert.deepEqual(stats.security.dropped, {
      unsealed: 1,
      decrypt_failed: 1,
      truncated_envelope: 1,
      rate_limited: 3,
    });
    assert.equal(stats.dropped, 6);
    assert.equal(stats.security.rateSources, 3);
    assert.equal(got.length, 8);
    assert.deepEqual(got[0], plain);
    assert.equal(a.stats().security.sealed, 11);
    assert.equal(a.overhead, 30);
    await b.close();
    await reader;
  } finally {
    await Promise.all([a.close(), b.close(), raw.close(), wrongLabel.close()]);
  }
});

Deno.test("SecureTransport refuses bad limits", async () => {
  const network = new MemoryNetwork();
  await assert.rejects(
    () => SecureTransport.wrap(network.open(), { ratePerSecond: 0 }),
    /ratePerSecond/,
  );
});
