import assert from "node:assert/strict";
import { captureLogs } from "./log_capture.ts";
import { DgramTransport } from "../lib/transport/dgram_transport.ts";
import { LossyTransport } from "../lib/transport/lossy_transport.ts";
import { openTransport } from "../lib/transport/open_transport.ts";
import type { Transport } from "../lib/transport/transport.ts";
import { UdpTransport } from "../lib/transport/udp_transport.ts";
import { GossipError } from "../lib/errors.ts";

/** Closes every transport (closing twice is harmless), whatever the test did to them. */
async function closeAll(...transports: Transport[]): Promise<void> {
  await Promise.all(transports.map((transport) => transport.close()));
}

async function roundTrip(a: Transport, b: Transport): Promise<void> {
  const iterator = b[Symbol.asyncIterator]();
  await a.send(b.localAddress, new Uint8Array([1, 2, 3]));
  const first = await iterator.next();
  assert.equal(first.done, false);
  assert.deepEqual([...first.value!.bytes], [1, 2, 3]);
  assert.equal(first.value!.from, a.localAddress);
  await b.close();
  const end = await iterator.next();
  assert.equal(end.done, true, "closing ends the iteration");
}

Deno.test("UdpTransport sends and receives on loopback and ends iteration on close", async () => {
  const a = UdpTransport.listen("127.0.0.1:0");
  const b = UdpTransport.listen("127.0.0.1:0");
  try {
    assert.match(b.localAddress, /^127\.0\.0\.1:[1-9]\d*$/);
    await roundTrip(a, b);
    assert.equal(a.stats().sent, 1);
    assert.equal(b.stats().received, 1);
    await a.close();
    await a.close(); // idempotent
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("UdpTransport counts send errors instead of throwing", async () => {
  const a = UdpTransport.listen("127.0.0.1:0");
  try {
    await a.send("not an address", new Uint8Array([1]));
    await a.send("[::1]:9", new Uint8Array([1])); // IPv6 from an IPv4 socket fails
    assert.equal(a.stats().sendErrors, 2);
    await a.close();
    await a.send("127.0.0.1:9", new Uint8Array([1]));
    assert.equal(a.stats().sendErrors, 3, "sending after close is counted too");
  } finally {
    await closeAll(a);
  }
});

Deno.test("UdpTransport.listen() rejects a malformed address with invalid_option", () => {
  assert.throws(
    () => UdpTransport.listen("localhost"),
    (error: unknown) => error instanceof GossipError && error.code === "invalid_option",
  );
});

Deno.test("DgramTransport sends and receives on loopback", async () => {
  const a = await DgramTransport.listen("127.0.0.1:0");
  const b = await DgramTransport.listen("127.0.0.1:0").catch(async (error) => {
    await a.close();
    throw error;
  });
  try {
    await roundTrip(a, b);
    await a.send("bad", new Uint8Array([1]));
    assert.equal(a.stats().sendErrors, 1);
    assert.equal(a.stats().sent, 1);
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("DgramTransport and UdpTransport interoperate", async () => {
  const a = UdpTransport.listen("127.0.0.1:0");
  const b = await DgramTransport.listen("127.0.0.1:0").catch(async (error) => {
    await a.close();
    throw error;
  });
  try {
    await roundTrip(a, b);
  } finally {
    await closeAll(a, b);
  }
});

Deno.test("openTransport() uses Deno UDP when listenDatagram works", async () => {
  const { result, logs } = await captureLogs(() => openTransport("127.0.0.1:0"));
  try {
    assert.ok(result instanceof UdpTransport);
    assert.equal(logs.length, 0);
  } finally {
    await result.close();
  }
});

Deno.test("openTransport() falls back to node:dgram and says how to enable unstable net", async () => {
  const { result, logs } = await captureLogs(() =>
    openTransport("127.0.0.1:0", { listenDatagram: null })
  );
  const sender = UdpTransport.listen("127.0.0.1:0");
  try {
    assert.ok(result instanceof DgramTransport);
    assert.equal(logs.length, 1, "one warning line");
    assert.equal(logs[0]!.level, "warning");
    assert.deepEqual(logs[0]!.category, ["starling", "transport"]);
    const text = logs[0]!.message.map(String).join("");
    assert.match(text, /node:dgram/);
    assert.match(text, /--unstable-net/);
    await roundTrip(sender, result);
  } finally {
    await closeAll(sender, result);
  }
});

Deno.test("openTransport() falls back when listenDatagram exists but throws", async () => {
  const { result, logs } = await captureLogs(() =>
    openTransport("127.0.0.1:0", {
      listenDatagram: () => {
        throw new TypeError("Deno.listenDatagram is unstable");
      },
    })
  );
  try {
    assert.ok(result instanceof DgramTransport);
    assert.equal(logs.length, 1);
    assert.match(logs[0]!.message.map(String).join(""), /unstable/);
  } finally {
    await result.close();
  }
});

Deno.test("openTransport() reports a port in use as a transport error", async () => {
  const a = UdpTransport.listen("127.0.0.1:0");
  try {
    await assert.rejects(
      () => openTransport(a.localAddress),
      (error: unknown) => error instanceof GossipError && error.code === "transport",
    );
  } finally {
    await a.close();
  }
});

Deno.test("LossyTransport drops about its rate of sends, deterministically by seed", async () => {
  const sink = UdpTransport.listen("127.0.0.1:0");
  const run = async (seed: number) => {
    const lossy = new LossyTransport(UdpTransport.listen("127.0.0.1:0"), { dropRate: 0.2, seed });
    try {
      for (let i = 0; i < 1000; i++) {
        await lossy.send(sink.localAddress, new Uint8Array([i & 255]));
      }
      return lossy.stats();
    } finally {
      await lossy.close();
    }
  };
  try {
    const first = await run(5);
    const again = await run(5);
    assert.equal(first.dropped, again.dropped, "same seed, same drops");
    assert.ok(first.dropped > 120 && first.dropped < 280, `dropped ${first.dropped} of 1000`);
    assert.equal(first.sent + first.dropped, 1000);
    assert.throws(() => new LossyTransport(sink, { dropRate: 1.5 }), GossipError);
  } finally {
    await sink.close();
  }
});
