/**
 * Floods: a malicious member (it holds the cluster key) sends a node valid-looking data frames
 * with fresh ids as fast as it can, and replays one datagram many times. The node must stay
 * within its configured bounds, count what it refuses, and deliver a replayed message once.
 *
 * The network is in memory (nothing is lost, so every count is exact) and the rate limiter's
 * clock is frozen (no token comes back while the flood runs, however slow the machine).
 */
import assert from "node:assert/strict";
import { GossipNode } from "../lib/node/node.ts";
import { generateKey } from "../lib/security/key_material.ts";
import { Keyring } from "../lib/security/keyring.ts";
import { Sealer } from "../lib/security/sealer.ts";
import { SecureTransport } from "../lib/security/secure_transport.ts";
import { MemoryNetwork } from "../lib/transport/memory_transport.ts";
import { FrameType } from "../lib/wire/frame.ts";
import { makeMessageId } from "../lib/wire/message_id.ts";
import { until } from "./until.ts";
import { encodeFrames } from "../lib/core/outbox.ts";

const BOUNDS = { seenCapacity: 500, cacheMaxEntries: 100, cacheMaxBytes: 16 * 1024 };

function dataDatagram(origin: number, seq: number): Uint8Array {
  const payload = new Uint8Array(100).fill(seq & 0xff);
  return encodeFrames([{
    type: FrameType.Data,
    flags: 0,
    id: makeMessageId(origin, seq),
    hops: 0,
    payload,
  }]);
}

async function setup(limits: { ratePerSecond: number; burst: number }) {
  const key = generateKey();
  const network = new MemoryNetwork();
  const transport = await SecureTransport.wrap(network.open(), {
    keyring: await Keyring.create([key]),
    clock: () => 0,
    ...limits,
  });
  const node = await GossipNode.start({ transport, seed: 1, ...BOUNDS });
  const attackerSealer = await Sealer.create({ keyring: await Keyring.create([key]) });
  const attacker = network.open();
  const processed = () => {
    const s = transport.stats().security;
    return s.opened + Object.values(s.dropped).reduce((a, b) => a + b, 0);
  };
  /** Sends `datagrams` in batches, waiting for the node to work through each batch. */
  const flood = async (datagrams: Uint8Array[]): Promise<number> => {
    const start = processed();
    for (let i = 0; i < datagrams.length; i += 100) {
      const batch = datagrams.slice(i, i + 100);
      for (const d of batch) await attacker.send(node.address, d);
      const target = start + i + batch.length;
      await until(() => processed() >= target, 10_000, `node handled ${target - start} datagrams`);
    }
    return processed() - start;
  };
  return { node, transport, attackerSealer, attacker, flood };
}

Deno.test("Flood from one source is rate-limited and counted; engine tables stay bounded", async () => {
  const { node, transport, attackerSealer, attacker, flood } = await setup({
    ratePerSecond: 200,
    burst: 100,
  });
  try {
    const datagrams = [];
    for (let seq = 0; seq < 4000; seq++) {
      datagrams.push(await attackerSealer.seal(dataDatagram(12345, seq)));
    }
    const handled = await flood(datagrams);
    const security = transport.stats().security;
    assert.equal(handled, 4000);
    assert.deepEqual(Object.keys(security.dropped), ["rate_limited"]);
    // The clock stands still: the burst of 100 passes, no token comes back, the rest is refused.
    assert.equal(security.opened, 100);
    assert.equal(security.dropped.rate_limited, 3900);
    assert.equal(security.rateSources, 1);
    const engine = node.stats().engine;
    assert.ok(engine.delivered <= security.opened);
    assert.ok(engine.seenEntries <= BOUNDS.seenCapacity);
    assert.ok(engine.cacheEntries <= BOUNDS.cacheMaxEntries);
  } finally {
    await attacker.close();
    await node.close();
  }
});

Deno.test("Unthrottled flood of fresh ids hits the configured bounds, never past them; replays deliver once", async () => {
  const { node, transport, attackerSealer, attacker, flood } = await setup({
    ratePerSecond: 1e9,
    burst: 1e9,
  });
  try {
    const replayedId = makeMessageId(999, 1);
    let deliveredReplayed = 0;
    node.onMessage((m) => {
      if (m.id === replayedId) deliveredReplayed++;
    });
    const datagrams = [];
    for (let seq = 0; seq < 3000; seq++) {
      datagrams.push(await attackerSealer.seal(dataDatagram(1 + (seq % 7), seq)));
    }
    await flood(datagrams);
    const engine = node.stats().engine;
    assert.ok(engine.delivered > 2000, `delivered ${engine.delivered}`);
    assert.ok(engine.seenEntries <= BOUNDS.seenCapacity, `seen ${engine.seenEntries}`);
    assert.ok(engine.cacheEntries <= BOUNDS.cacheMaxEntries, `cache ${engine.cacheEntries}`);
    assert.ok(engine.cacheBytes <= BOUNDS.cacheMaxBytes, `cache bytes ${engine.cacheBytes}`);
    assert.ok(engine.seenEvicted > 0 && engine.cacheEvicted.entries > 0, "bounds were reached");

    // One fresh message, then the very same sealed datagram 500 times more.
    const once = await attackerSealer.seal(dataDatagram(999, 1));
    await flood(Array.from({ length: 501 }, () => once));
    const security = transport.stats().security;
    assert.equal(deliveredReplayed, 1, "the replayed message is delivered once");
    assert.equal(security.dropped.replay, 500, "every copy after the first is refused");
    assert.equal(security.replayEpochs, 1);
  } finally {
    await attacker.close();
    await node.close();
  }
});
