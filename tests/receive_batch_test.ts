import { drivenEngine } from "./driven_engine.ts";
import assert from "node:assert/strict";
import type { Engine } from "../lib/engine/engine.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { UdpTransport } from "../lib/transport/udp_transport.ts";
import { decodeDatagram } from "../lib/wire/codec.ts";
import { FrameType } from "../lib/wire/frame.ts";
import { encodeFrames } from "../lib/core/outbox.ts";

const PEER = "10.0.0.2:7946";
const ping = (value: number) => encodeFrames([{ type: FrameType.Ping, nodeId: 77, value }]);

/** An engine whose peer has proven its address (echoed the engine's cookie), so replies flow. */
function engineCapturing(): { engine: Engine; sent: { to: string; pongs: number }[] } {
  const sent: { to: string; pongs: number }[] = [];
  let challenge: number | undefined;
  const engine = drivenEngine({ rng: seededPrng(3) }, {
    send: (to, datagram) => {
      const decoded = decodeDatagram(datagram);
      assert.ok(decoded.ok);
      for (const f of decoded.frames) {
        if (f.type === FrameType.Cookie && !f.echo) challenge = f.value;
      }
      sent.push({ to, pongs: decoded.frames.filter((f) => f.type === FrameType.Pong).length });
    },
    deliver: () => {},
  });
  engine.start(0);
  engine.receive(ping(100), PEER, 1);
  assert.ok(challenge !== undefined, "a stranger is challenged");
  engine.receive(
    encodeFrames([{ type: FrameType.Cookie, echo: true, value: challenge }]),
    PEER,
    2,
  );
  assert.equal(engine.stats().validation.validAddresses, 1);
  return { engine, sent };
}

Deno.test("Engine.receiveBatch answers datagrams that arrived together in shared datagrams", () => {
  const single = engineCapturing();
  single.sent.length = 0;
  for (let i = 1; i <= 3; i++) single.engine.receive(ping(i), PEER, 10);
  const pongsSingly = single.sent.filter((s) => s.pongs > 0);
  assert.equal(pongsSingly.length, 3, "one reply datagram per received datagram");

  const batched = engineCapturing();
  batched.sent.length = 0;
  batched.engine.receiveBatch([1, 2, 3].map((i) => ({ bytes: ping(i), from: PEER })), 10);
  const pongsBatched = batched.sent.filter((s) => s.pongs > 0);
  assert.equal(pongsBatched.length, 1, "one flush: the three replies share a datagram");
  assert.equal(pongsBatched[0]!.pongs, 3);
  assert.equal(pongsBatched[0]!.to, PEER);
  assert.equal(batched.engine.stats().datagramsIn, 3 + 2, "three, after the two of the handshake");
});

Deno.test("UdpTransport.batches() hands over datagrams that arrived together in fewer batches", async () => {
  const a = UdpTransport.listen("127.0.0.1:0");
  const b = UdpTransport.listen("127.0.0.1:0");
  try {
    // Everything is in b's socket buffer before b starts reading.
    for (let i = 0; i < 32; i++) await a.send(b.localAddress, new Uint8Array([i]));
    const got: number[] = [];
    let batches = 0;
    for await (const batch of b.batches()) {
      batches++;
      for (const packet of batch) {
        assert.equal(packet.from, a.localAddress);
        got.push(packet.bytes[0]!);
      }
      if (got.length === 32) break;
    }
    assert.deepEqual(got.sort((x, y) => x - y), Array.from({ length: 32 }, (_, i) => i));
    assert.ok(batches < 32, `32 datagrams came in ${batches} batches`);
    assert.equal(b.stats().received, 32);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("UdpTransport.post() sends without a promise and counts like send()", async () => {
  const a = UdpTransport.listen("127.0.0.1:0");
  const b = UdpTransport.listen("127.0.0.1:0");
  try {
    a.post(b.localAddress, new Uint8Array([5]));
    a.post("not an address", new Uint8Array([6]));
    const iterator = b[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.deepEqual([...first.value!.bytes], [5]);
    assert.equal(a.stats().sent, 1);
    assert.equal(a.stats().sendErrors, 1);
  } finally {
    await a.close();
    await b.close();
  }
});
