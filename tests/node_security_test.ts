import assert from "node:assert/strict";
import type { Delivery } from "../lib/engine/engine.ts";
import { GossipError } from "../lib/errors.ts";
import { GossipNode, type NodeOptions } from "../lib/node/node.ts";
import { maxPayloadSize } from "../lib/options.ts";
import { generateKey } from "../lib/security/key_material.ts";
import { generateSigningKeyPair } from "../lib/security/origin_signer.ts";
import { SEAL_OVERHEAD } from "../lib/security/sealer.ts";
import type { Packet, Transport } from "../lib/transport/transport.ts";
import { UdpTransport } from "../lib/transport/udp_transport.ts";
import { until } from "./until.ts";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Resolves with the first delivery of `node` whose text is `want`; rejects after `timeoutMs`. */
function delivery(node: GossipNode, want: string, timeoutMs: number): Promise<Delivery> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${node.address} did not deliver "${want}" in ${timeoutMs} ms`));
    }, timeoutMs);
    const off = node.onMessage((m) => {
      if (text(m.data) !== want) return;
      clearTimeout(timer);
      off();
      resolve(m);
    });
  });
}

/** A UDP transport that remembers the largest datagram it put on the wire. */
class RecordingTransport implements Transport {
  largestSent = 0;
  constructor(readonly inner: Transport) {}
  get localAddress(): string {
    return this.inner.localAddress;
  }
  send(to: string, data: Uint8Array): Promise<void> {
    this.largestSent = Math.max(this.largestSent, data.length);
    return this.inner.send(to, data);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  [Symbol.asyncIterator](): AsyncIterator<Packet> {
    return this.inner[Symbol.asyncIterator]();
  }
}

/** Starts the nodes in order, all joining the first; if one fails, the started ones close. */
async function startAll(list: NodeOptions[]): Promise<GossipNode[]> {
  const nodes: GossipNode[] = [];
  try {
    for (const options of list) {
      nodes.push(
        await GossipNode.start({
          antiEntropyIntervalMs: 100,
          seeds: nodes.length === 0 ? [] : [nodes[0]!.address],
          ...options,
        }),
      );
    }
  } catch (error) {
    for (const node of nodes) await node.close();
    for (const options of list) await options.transport?.close();
    throw error;
  }
  return nodes;
}

const dropsOf = (record: Record<string, number> | undefined): number =>
  Object.values(record ?? {}).reduce((a, b) => a + b, 0);

Deno.test("a sealed, labelled, signed trio on loopback delivers; wire datagrams fit", async () => {
  const key = generateKey();
  const pair = await generateSigningKeyPair();
  const recorders = [0, 1, 2].map(() => new RecordingTransport(UdpTransport.listen("127.0.0.1:0")));
  const common = { keys: [key], label: "trio" };
  const nodes = await startAll([
    { ...common, transport: recorders[0]!, signing: pair.privateKey, seed: 1 },
    { ...common, transport: recorders[1]!, acceptPublishers: [pair.publicKey], seed: 2 },
    { ...common, transport: recorders[2]!, acceptPublishers: [pair.publicKey], seed: 3 },
  ]);
  try {
    const [a, b, c] = nodes as [GossipNode, GossipNode, GossipNode];
    await until(() => nodes.every((n) => n.peers().length === 2), 10_000, "trio formed");
    assert.equal(a.signing, true);
    assert.equal(b.signing, false);
    assert.equal(a.maxPayloadSize, maxPayloadSize(512) - SEAL_OVERHEAD - 64);
    // Unsigned messages may be up to maxMessageSize (larger than a datagram goes as chunks).
    assert.equal(b.maxPayloadSize, 65536);
    assert.equal(a.keyring?.list().length, 1);

    // Unsigned publish on a signing node is refused rather than sent and dropped elsewhere.
    assert.throws(
      () => a.publish(bytes("x")),
      (e: unknown) => e instanceof GossipError && e.code === "invalid_option",
    );
    await assert.rejects(
      b.publishSigned(bytes("x")),
      (e: unknown) => e instanceof GossipError && e.code === "invalid_option",
    );
    await assert.rejects(
      a.publishSigned(new Uint8Array(a.maxPayloadSize + 1)),
      (e: unknown) => e instanceof GossipError && e.code === "payload_too_large",
    );

    const got = [delivery(b, "hello", 10_000), delivery(c, "hello", 10_000)];
    const id = await a.publishSigned(bytes("hello"));
    for (const m of await Promise.all(got)) {
      assert.equal(m.id, id);
      assert.equal(m.data.length, 5, "signature stripped");
    }
    // The largest payload still fits: the datagram with it stays within 512 bytes on the wire.
    const big = "z".repeat(a.maxPayloadSize);
    const bigGot = [delivery(b, big, 10_000), delivery(c, big, 10_000)];
    await a.publishSigned(bytes(big));
    await Promise.all(bigGot);
    for (const recorder of recorders) assert.ok(recorder.largestSent <= 512, "wire size");
    assert.ok(recorders[0]!.largestSent > 500, "the big message went out near the limit");

    const sa = a.stats(), sb = b.stats();
    assert.equal(sa.signatures?.signed, 2);
    assert.ok((sb.signatures?.verified ?? 0) >= 2);
    assert.equal(dropsOf(sb.signatures?.dropped), 0);
    assert.ok((sa.transport.security?.sealed ?? 0) > 0);
    assert.ok((sb.transport.security?.opened ?? 0) > 0);
    assert.equal(sb.transport.security?.overhead, SEAL_OVERHEAD);
  } finally {
    for (const node of nodes) await node.close();
  }
});

Deno.test("a node with another key or label receives nothing and the drops are counted", async () => {
  const key = generateKey();
  const nodes = await startAll([
    { keys: [key], label: "blue", seed: 1 },
    { keys: [key], label: "blue", seed: 2 },
    { keys: [generateKey()], label: "blue", seed: 3 }, // other key
    { keys: [key], label: "green", seed: 4 }, // other label
  ]);
  try {
    const [a, b, ...outsiders] = nodes as [GossipNode, GossipNode, GossipNode, GossipNode];
    const heard: string[] = [];
    for (const node of outsiders) node.onMessage((m) => heard.push(text(m.data)));
    // Make a send to the outsiders too, so both sides have something to refuse.
    await a.addSeeds(outsiders.map((n) => n.address));
    const got = delivery(b, "inside", 10_000);
    await until(() => b.peers().length === 1, 10_000, "a and b meet");
    a.publish(bytes("inside"));
    await got;
    await until(
      () => outsiders.every((n) => dropsOf(n.stats().transport.security?.dropped) > 0),
      10_000,
      "outsiders count what they refuse",
    );
    await until(
      () => dropsOf(a.stats().transport.security?.dropped) >= 2,
      10_000,
      "a counts the outsiders' joins",
    );
    assert.deepEqual(heard, []);
    for (const node of outsiders) {
      assert.equal(node.peers().length, 0);
      assert.equal(node.stats().engine.datagramsIn, 0, "nothing reached the engine");
    }
    assert.ok(!a.peers().includes(outsiders[0]!.address));
  } finally {
    for (const node of nodes) await node.close();
  }
});

Deno.test("a node that accepts only publisher X drops messages of an unsigned publisher", async () => {
  const x = await generateSigningKeyPair();
  const nodes = await startAll([
    { acceptPublishers: [x.publicKey], seed: 1 }, // the checking node
    { signing: x.privateKey, seed: 2 }, // publisher X
    { seed: 3 }, // unsigned publisher
  ]);
  try {
    const [checker, signer, plain] = nodes as [GossipNode, GossipNode, GossipNode];
    const heard: string[] = [];
    checker.onMessage((m) => heard.push(text(m.data)));
    await until(() => checker.peers().length === 2, 10_000, "peers meet");
    const got = delivery(checker, "from X", 10_000);
    await signer.publishSigned(bytes("from X"));
    await got;
    const plainGot = delivery(signer, "unsigned", 10_000);
    plain.publish(bytes("unsigned"));
    await plainGot; // the others (no filter) take it
    await until(
      () => (checker.stats().signatures?.dropped.unsigned ?? 0) > 0,
      10_000,
      "the checker counts the unsigned message",
    );
    assert.deepEqual(heard, ["from X"]);
    assert.equal(checker.stats().signatures?.dropped.bad_signature ?? 0, 0);
  } finally {
    for (const node of nodes) await node.close();
  }
});

Deno.test("GossipNode.start rejects malformed keys before binding anything", async () => {
  for (
    const options of [
      { keys: ["not a key"] },
      { keys: [] },
      { signing: "bm9wZQ==" },
      { acceptPublishers: ["short"] },
    ] satisfies NodeOptions[]
  ) {
    await assert.rejects(
      GossipNode.start({ listen: "127.0.0.1:0", ...options }),
      (e: unknown) => e instanceof GossipError && e.code === "invalid_option",
      JSON.stringify(options),
    );
  }
});
