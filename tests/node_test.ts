import assert from "node:assert/strict";
import { functionDiscovery } from "../lib/discovery/discovery.ts";
import type { Delivery } from "../lib/engine/engine.ts";
import { GossipError } from "../lib/errors.ts";
import { type DeliveryEvent, GossipNode } from "../lib/node/node.ts";
import { MemoryNetwork } from "../lib/transport/memory_transport.ts";
import { until } from "./until.ts";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Two joined nodes; `await using` closes both however the test ends. */
async function pair(network = new MemoryNetwork()) {
  const a = await GossipNode.start({ transport: network.open(), seed: 1 });
  const nodes = {
    network,
    a,
    b: undefined as unknown as GossipNode,
    async [Symbol.asyncDispose]() {
      await a.close();
      await nodes.b?.close();
    },
  };
  try {
    nodes.b = await GossipNode.start({ transport: network.open(), seeds: [a.address], seed: 2 });
    await until(() => a.peers().length === 1 && nodes.b.peers().length === 1, 5000, "a and b meet");
  } catch (error) {
    await nodes[Symbol.asyncDispose]();
    throw error;
  }
  return nodes;
}

Deno.test("GossipNode delivers through messages() and the message event", async () => {
  await using nodes = await pair();
  const { a, b } = nodes;
  const iterator = a.messages();
  const events: Delivery[] = [];
  a.addEventListener("message", (event) => events.push((event as DeliveryEvent).detail));
  const viaHandler: string[] = [];
  const unsubscribe = a.onMessage((m) => viaHandler.push(text(m.data)));
  const id = b.publish(bytes("one"));
  const first = await iterator.next();
  assert.equal(first.done, false);
  assert.equal(text(first.value!.data), "one");
  assert.equal(first.value!.id, id);
  assert.equal(first.value!.origin, b.id);
  assert.equal(first.value!.from, b.address);
  assert.equal(events.length, 1);
  assert.deepEqual(viaHandler, ["one"]);
  unsubscribe();
  b.publish(bytes("two"));
  assert.equal(text((await iterator.next()).value!.data), "two");
  assert.deepEqual(viaHandler, ["one"], "unsubscribed");
  const stats = a.stats();
  assert.equal(stats.node.delivered, 2);
  assert.equal(stats.engine.delivered, 2);
  assert.ok(stats.transport.received >= 2);
  await a.close();
  assert.equal((await iterator.next()).done, true, "close ends iterators");
});

Deno.test("GossipNode.publish() throws payload_too_large and closed", async () => {
  await using nodes = await pair();
  const { a } = nodes;
  assert.throws(
    () => a.publish(new Uint8Array(a.maxPayloadSize + 1)),
    (error: unknown) => error instanceof GossipError && error.code === "payload_too_large",
  );
  a.publish(new Uint8Array(a.maxPayloadSize));
  await a.close();
  await a.close(); // idempotent
  assert.throws(
    () => a.publish(bytes("late")),
    (error: unknown) => error instanceof GossipError && error.code === "closed",
  );
  assert.equal((await a.messages().next()).done, true, "a closed node's iterator is done");
});

Deno.test("GossipNode bounds each messages() queue and drops the oldest", async () => {
  const network = new MemoryNetwork();
  await using a = await GossipNode.start({ transport: network.open(), messageQueueSize: 2 });
  await using b = await GossipNode.start({ transport: network.open(), seeds: [a.address] });
  await until(() => a.peers().length === 1, 5000, "join");
  const iterator = a.messages();
  for (let i = 0; i < 5; i++) b.publish(bytes(`m${i}`));
  await until(() => a.stats().node.delivered === 5, 5000, "five deliveries");
  assert.equal(a.stats().node.messagesDropped, 3);
  const got = [
    text((await iterator.next()).value!.data),
    text((await iterator.next()).value!.data),
  ];
  assert.deepEqual(got, ["m3", "m4"]);
});

Deno.test("GossipNode survives a throwing onMessage handler", async () => {
  await using nodes = await pair();
  const { a, b } = nodes;
  a.onMessage(() => {
    throw new Error("listener bug");
  });
  const iterator = a.messages();
  b.publish(bytes("still works"));
  assert.equal(text((await iterator.next()).value!.data), "still works");
  assert.equal(a.stats().node.listenerErrors, 1);
});

Deno.test("GossipNode finds peers through discovery and rediscovers periodically", async () => {
  const network = new MemoryNetwork();
  await using a = await GossipNode.start({ transport: network.open() });
  let calls = 0;
  const discovery = functionDiscovery(() => {
    calls++;
    return calls < 2 ? [] : [a.address, "not an address"];
  });
  await using b = await GossipNode.start({
    transport: network.open(),
    discovery,
    discoveryIntervalMs: 20,
  });
  await until(() => b.peers().includes(a.address), 5000, "b finds a on a later round");
  assert.ok(b.stats().node.discoveryRounds >= 2);
});

Deno.test("GossipNode resolves seed host names and skips bad seeds", async () => {
  const network = new MemoryNetwork();
  await using _seedNode = await GossipNode.start({ transport: network.open("10.7.0.1:7946") });
  await using b = await GossipNode.start({
    transport: network.open(),
    seeds: ["seed-host:7946", "bad seed", "10.7.0.1:0"],
    resolver: (name, type) =>
      Promise.resolve(name === "seed-host" && type === "A" ? ["10.7.0.1"] : []),
  });
  await until(() => b.peers().includes("10.7.0.1:7946"), 5000, "b joins a by name");
});

Deno.test("GossipNode rejects bad node options", async () => {
  await assert.rejects(
    () => GossipNode.start({ transport: new MemoryNetwork().open(), messageQueueSize: 0 }),
    GossipError,
  );
  await assert.rejects(
    () => GossipNode.start({ transport: new MemoryNetwork().open(), fanout: 0 }),
    GossipError,
  );
});

Deno.test("GossipNode supports await using", async () => {
  const network = new MemoryNetwork();
  let node: GossipNode;
  {
    await using scoped = await GossipNode.start({ transport: network.open() });
    node = scoped;
    assert.equal(node.closed, false);
  }
  assert.equal(node.closed, true);
});

Deno.test("GossipNode lets a message listener publish: the engine hands out a batch, it calls no one", async () => {
  await using nodes = await pair();
  const { a, b } = nodes;
  const echoes: string[] = [];
  b.onMessage((m) => echoes.push(text(m.data)));
  a.onMessage((m) => {
    if (text(m.data) === "ping") a.publish(bytes("pong")); // re-enters the node from a listener
  });
  b.publish(bytes("ping"));
  await until(() => echoes.includes("pong"), 5000, "b hears a's answer");
  assert.equal(a.stats().node.listenerErrors, 0);
});
