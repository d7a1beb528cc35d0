import assert from "node:assert/strict";
import { MemoryNetwork } from "../lib/transport/memory_transport.ts";
import { GossipError } from "../lib/errors.ts";

Deno.test("MemoryNetwork delivers between endpoints with the sender's address", async () => {
  const network = new MemoryNetwork();
  const a = network.open();
  const b = network.open("127.0.0.1:9000");
  assert.notEqual(a.localAddress, b.localAddress);
  await a.send(b.localAddress, new Uint8Array([9]));
  const iterator = b[Symbol.asyncIterator]();
  const packet = await iterator.next();
  assert.deepEqual([...packet.value!.bytes], [9]);
  assert.equal(packet.value!.from, a.localAddress);
  await b.close();
  assert.equal((await iterator.next()).done, true);
  await a.send(b.localAddress, new Uint8Array([9]));
  assert.equal(a.stats().sendErrors, 1, "a closed endpoint is unreachable");
  await a.close();
});

Deno.test("MemoryNetwork copies datagrams so the sender may reuse its buffer", async () => {
  const network = new MemoryNetwork();
  const a = network.open(), b = network.open();
  const buffer = new Uint8Array([1]);
  await a.send(b.localAddress, buffer);
  buffer[0] = 2;
  const packet = await b[Symbol.asyncIterator]().next();
  assert.equal(packet.value!.bytes[0], 1);
  await a.close();
  await b.close();
});

Deno.test("MemoryNetwork cut() and heal() control links", async () => {
  const network = new MemoryNetwork();
  const a = network.open(), b = network.open();
  network.cut(a.localAddress, b.localAddress);
  await a.send(b.localAddress, new Uint8Array([1]));
  await b.send(a.localAddress, new Uint8Array([1]));
  assert.equal(a.stats().sendErrors + b.stats().sendErrors, 2);
  network.heal();
  await a.send(b.localAddress, new Uint8Array([1]));
  assert.equal(b.stats().received, 1);
  await a.close();
  await b.close();
});

Deno.test("MemoryTransport bounds its queue and counts what it drops", async () => {
  const network = new MemoryNetwork({ queueSize: 3 });
  const a = network.open(), b = network.open();
  for (let i = 0; i < 5; i++) await a.send(b.localAddress, new Uint8Array([i]));
  assert.equal(b.stats().received, 3);
  assert.equal(b.stats().dropped, 2);
  await a.close();
  await b.close();
});

Deno.test("MemoryNetwork.open() refuses a taken address", () => {
  const network = new MemoryNetwork();
  network.open("10.1.1.1:1");
  assert.throws(() => network.open("10.1.1.1:1"), GossipError);
  assert.throws(() => network.open("nonsense"), GossipError);
});
