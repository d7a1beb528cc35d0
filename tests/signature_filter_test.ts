import { drivenEngine } from "./driven_engine.ts";
import assert from "node:assert/strict";
import type { Delivery } from "../lib/engine/engine.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { generateSigningKeyPair } from "../lib/security/origin_signer.ts";
import { OriginSignatureFilter, stripSignature } from "../lib/security/signature_filter.ts";
import { decodeDatagram } from "../lib/wire/codec.ts";
import { DataFlag, type DataFrame, FrameType } from "../lib/wire/frame.ts";
import { encodeFrames } from "../lib/core/outbox.ts";

const text = new TextEncoder();
const unseen = () => false;

function frame(id: bigint, payload: Uint8Array, flags: number): DataFrame {
  return { type: FrameType.Data, flags, id, hops: 0, payload };
}

/** `data ‖ signature` for message `id`, as the engine's publishSigned builds it. */
async function signed(signer: OriginSignatureFilter, id: bigint, data: Uint8Array) {
  return new Uint8Array([...data, ...await signer.sign(id, data)]);
}

/** A publisher engine whose datagrams go through `filter` into a receiver engine. */
function harness(filter: OriginSignatureFilter) {
  const toReceiver: Uint8Array[] = [];
  const toPublisher: Uint8Array[] = [];
  const got: Delivery[] = [];
  const publisher = drivenEngine({ rng: seededPrng(1) }, {
    send: (_to, bytes) => toReceiver.push(bytes),
  });
  const receiver = drivenEngine({ rng: seededPrng(2), seeds: ["10.0.0.1:1"] }, {
    send: (_to, bytes) => toPublisher.push(bytes),
    deliver: (m) => got.push(m),
  });
  publisher.start(0);
  receiver.start(0);
  // Let the receiver join (membership traffic carries no data frames, so it passes the filter).
  const pump = async (): Promise<number> => {
    let dropped = 0;
    while (toReceiver.length || toPublisher.length) {
      while (toPublisher.length) publisher.receive(toPublisher.shift()!, "10.0.0.2:1", 0);
      while (toReceiver.length) {
        const bytes = toReceiver.shift()!;
        const passed = await filter.filter(bytes, (id) => receiver.hasSeen(id));
        if (passed) receiver.receive(passed, "10.0.0.1:1", 0);
        else dropped++;
      }
    }
    return dropped;
  };
  return { publisher, receiver, got, pump };
}

Deno.test("Signed messages from an accepted publisher are delivered, signature stripped by the engine", async () => {
  const pair = await generateSigningKeyPair();
  const signer = await OriginSignatureFilter.create({ signingKey: pair.privateKey });
  const other = await generateSigningKeyPair();
  const filter = await OriginSignatureFilter.create({
    acceptPublishers: [other.publicKey, pair.publicKey],
  });
  const { publisher, got, pump } = harness(filter);
  assert.equal(await pump(), 0);
  assert.ok(publisher.peers().length > 0, "joined");
  for (const word of ["one", "two", "three"]) {
    const id = publisher.reserveId();
    const data = text.encode(word);
    assert.equal(publisher.publishSigned(id, data, await signer.sign(id, data), 0), id);
  }
  assert.equal(await pump(), 0);
  assert.deepEqual(got.map((m) => new TextDecoder().decode(m.data)), ["one", "two", "three"]);
  assert.ok(got.every((m) => (m.flags & DataFlag.Signed) !== 0));
  assert.equal(filter.stats().verified, 3);
  assert.equal(signer.stats().signed, 3);
});

Deno.test("Engine.reserveId() ids stay valid while other publishes take ids; each is published once", async () => {
  const pair = await generateSigningKeyPair();
  const signer = await OriginSignatureFilter.create({ signingKey: pair.privateKey });
  const engine = drivenEngine({ rng: seededPrng(4) });
  const first = engine.reserveId();
  const second = engine.reserveId();
  assert.notEqual(first, second);
  const data = text.encode("x");
  assert.equal(engine.publishSigned(second, data, await signer.sign(second, data), 0), second);
  assert.equal(engine.publishSigned(first, data, await signer.sign(first, data), 0), first);
  assert.throws(
    () => engine.publishSigned(first, data, new Uint8Array(64), 0),
    /not reserved, or was published already/,
  );
  assert.throws(() => engine.publishSigned(engine.nextMessageId(), data, new Uint8Array(64), 0));
  const third = engine.reserveId();
  assert.throws(() => engine.publishSigned(third, data, new Uint8Array(3), 0), /64 bytes/);
  assert.throws(
    () =>
      engine.publishSigned(
        third,
        new Uint8Array(engine.maxSignedPayload + 1),
        new Uint8Array(64),
        0,
      ),
    /payload_too_large|the limit is/,
  );
  assert.equal(engine.stats().published, 2);
});

Deno.test("Unsigned and wrongly signed data frames are removed before the engine", async () => {
  const pair = await generateSigningKeyPair();
  const stranger = await generateSigningKeyPair();
  const filter = await OriginSignatureFilter.create({ acceptPublishers: [pair.publicKey] });
  const strangerSigner = await OriginSignatureFilter.create({ signingKey: stranger.privateKey });
  const signer = await OriginSignatureFilter.create({ signingKey: pair.privateKey });
  const { publisher, got, pump } = harness(filter);
  assert.equal(await pump(), 0);
  publisher.publish(text.encode("unsigned"), 0);
  assert.equal(await pump(), 1, "the datagram held only the refused data frame");
  const id = publisher.reserveId();
  const data = text.encode("stranger");
  publisher.publishSigned(id, data, await strangerSigner.sign(id, data), 0);
  // This datagram also carries an IHAVE echo of the first id (see plumtree.ts): the data frame
  // is removed, the rest goes on, and the receiver's graft for it is answered and refused too.
  await pump();
  const dropped = filter.stats().dropped;
  assert.ok(
    (dropped.unsigned ?? 0) >= 1 && (dropped.bad_signature ?? 0) >= 1,
    JSON.stringify(dropped),
  );
  assert.equal(got.length, 0);
  // A valid signature moved onto another id or payload is refused too.
  const goodId = 77n;
  const good = await signed(signer, goodId, text.encode("real"));
  const one = (f: DataFrame) => filter.filter(encodeFrames([f]), unseen);
  const whole = encodeFrames([frame(goodId, good, DataFlag.Signed)]);
  assert.equal(await filter.filter(whole, unseen), whole, "passed unchanged");
  assert.equal(await one(frame(goodId + 1n, good, DataFlag.Signed)), undefined);
  const tampered = good.slice();
  tampered[0]! ^= 1;
  assert.equal(await one(frame(goodId, tampered, DataFlag.Signed)), undefined);
  assert.equal(await one(frame(goodId, new Uint8Array(10), DataFlag.Signed)), undefined);
  assert.deepEqual(filter.stats().dropped, { unsigned: 2, bad_signature: 3 });
});

Deno.test("A failing data frame is removed alone: the datagram's other frames go on", async () => {
  const pair = await generateSigningKeyPair();
  const signer = await OriginSignatureFilter.create({ signingKey: pair.privateKey });
  const filter = await OriginSignatureFilter.create({ acceptPublishers: [pair.publicKey] });
  const good = await signed(signer, 5n, text.encode("good"));
  const datagram = encodeFrames([
    { type: FrameType.Ack, ids: [3n] },
    frame(9n, text.encode("unsigned"), 0),
    frame(5n, good, DataFlag.Signed),
    frame(6n, good, DataFlag.Signed), // the signature of 5 moved onto 6
    { type: FrameType.Ping, nodeId: 7, value: 1 },
  ]);
  const passed = await filter.filter(datagram, unseen);
  assert.ok(passed);
  const decoded = decodeDatagram(passed);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.frames.map((f) => f.type), [
    FrameType.Ack,
    FrameType.Data,
    FrameType.Ping,
  ]);
  assert.equal((decoded.frames[1] as DataFrame).id, 5n);
  assert.deepEqual(filter.stats().dropped, { unsigned: 1, bad_signature: 1 });
  assert.equal(filter.stats().verified, 1);
});

Deno.test("A signature is verified once per message id: copies of accepted messages are not", async () => {
  const pair = await generateSigningKeyPair();
  const signer = await OriginSignatureFilter.create({ signingKey: pair.privateKey });
  const filter = await OriginSignatureFilter.create({ acceptPublishers: [pair.publicKey] });
  const { publisher, receiver, got, pump } = harness(filter);
  await pump();
  const id = publisher.reserveId();
  const data = text.encode("once");
  publisher.publishSigned(id, data, await signer.sign(id, data), 0);
  await pump();
  assert.equal(got.length, 1);
  assert.equal(filter.stats().verified, 1);
  // Copies (retransmissions, other neighbours' forwards) arrive after the engine accepted it.
  const copy = encodeFrames([frame(id, await signed(signer, id, data), DataFlag.Signed)]);
  for (let i = 0; i < 3; i++) {
    const passed = await filter.filter(copy, (seen) => receiver.hasSeen(seen));
    assert.equal(passed, copy);
    receiver.receive(passed!, "10.0.0.1:1", 0);
  }
  assert.equal(filter.stats().verified, 1, "verified once");
  assert.equal(filter.stats().seenSkipped, 3);
  assert.equal(got.length, 1, "and delivered once");
  // The seen check comes first only for signed frames: an unsigned copy is still dropped.
  const unsignedCopy = encodeFrames([frame(id, data, 0)]);
  assert.equal(await filter.filter(unsignedCopy, () => true), undefined);
});

Deno.test("Without accepted publishers nothing is checked; undecodable bytes go to the engine", async () => {
  const open = await OriginSignatureFilter.create();
  assert.equal(open.checking, false);
  const datagram = encodeFrames([frame(1n, text.encode("x"), 0)]);
  assert.equal(await open.filter(datagram, unseen), datagram);
  const strict = await OriginSignatureFilter.create({
    acceptPublishers: [(await generateSigningKeyPair()).publicKey],
  });
  const junk = new Uint8Array([9, 9, 9]);
  assert.equal(await strict.filter(junk, unseen), junk);
  await assert.rejects(() => open.sign(1n, new Uint8Array(1)), /no signing key/);
  await assert.rejects(
    () => OriginSignatureFilter.create({ acceptPublishers: ["AAAA"] }),
    /publisher key/,
  );
  assert.equal(stripSignature(new Uint8Array(70), DataFlag.Signed).length, 6);
});
