import { drivenEngine } from "./driven_engine.ts";
import assert from "node:assert/strict";
import type { Delivery } from "../lib/engine/engine.ts";
import { seededPrng } from "../lib/engine/prng.ts";
import { generateSigningKeyPair } from "../lib/security/origin_signer.ts";
import { OriginSignatureFilter, stripSignature } from "../lib/security/signature_filter.ts";
import { DataFlag, type DataFrame, FrameType } from "../lib/wire/frame.ts";
import { encodeFrames } from "../lib/engine/outbox.ts";

const text = new TextEncoder();

function frame(id: bigint, payload: Uint8Array, flags: number): DataFrame {
  return { type: FrameType.Data, flags, id, hops: 0, payload };
}

/** A publisher engine whose datagrams go through `filter` into a receiver engine. */
function harness(filter: OriginSignatureFilter) {
  const toReceiver: Uint8Array[] = [];
  const toPublisher: Uint8Array[] = [];
  const got: Delivery[] = [];
  const publisher = drivenEngine({ rng: seededPrng(1) }, {
    send: (_to, bytes) => toReceiver.push(bytes),
    deliver: () => {},
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
        if ((await filter.check(bytes)) === true) receiver.receive(bytes, "10.0.0.1:1", 0);
        else dropped++;
      }
    }
    return dropped;
  };
  return { publisher, receiver, got, pump };
}

Deno.test("Signed messages from an accepted publisher are delivered, signature stripped", async () => {
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
    const id = publisher.nextMessageId();
    const signed = await signer.signPublish(id, text.encode(word));
    assert.equal(publisher.publish(signed, 0, DataFlag.Signed), id);
  }
  assert.equal(await pump(), 0);
  assert.deepEqual(
    got.map((m) => new TextDecoder().decode(stripSignature(m.data, m.flags))),
    ["one", "two", "three"],
  );
  assert.equal(filter.stats().verified, 3);
  assert.equal(signer.stats().signed, 3);
});

Deno.test("Unsigned and wrongly signed messages are dropped before the engine", async () => {
  const pair = await generateSigningKeyPair();
  const stranger = await generateSigningKeyPair();
  const filter = await OriginSignatureFilter.create({ acceptPublishers: [pair.publicKey] });
  const strangerSigner = await OriginSignatureFilter.create({ signingKey: stranger.privateKey });
  const signer = await OriginSignatureFilter.create({ signingKey: pair.privateKey });
  const { publisher, receiver, got, pump } = harness(filter);
  assert.equal(await pump(), 0);
  const before = receiver.stats().datagramsIn;
  publisher.publish(text.encode("unsigned"), 0);
  const id = publisher.nextMessageId();
  publisher.publish(
    await strangerSigner.signPublish(id, text.encode("stranger")),
    0,
    DataFlag.Signed,
  );
  assert.equal(await pump(), 2);
  assert.equal(got.length, 0);
  assert.equal(receiver.stats().datagramsIn, before, "nothing reached the engine");
  // A valid signature moved onto another id or payload is refused too.
  const goodId = 77n;
  const good = await signer.signPublish(goodId, text.encode("real"));
  assert.equal(await filter.check(encodeFrames([frame(goodId, good, DataFlag.Signed)])), true);
  assert.equal(
    await filter.check(encodeFrames([frame(goodId + 1n, good, DataFlag.Signed)])),
    "bad_signature",
  );
  const tampered = good.slice();
  tampered[0]! ^= 1;
  assert.equal(
    await filter.check(encodeFrames([frame(goodId, tampered, DataFlag.Signed)])),
    "bad_signature",
  );
  assert.equal(
    await filter.check(encodeFrames([frame(goodId, new Uint8Array(10), DataFlag.Signed)])),
    "unsigned",
  );
  // One bad frame drops the whole datagram, even next to a good one.
  assert.equal(
    await filter.check(
      encodeFrames([frame(goodId, good, DataFlag.Signed), frame(9n, text.encode("x"), 0)]),
    ),
    "unsigned",
  );
  assert.deepEqual(filter.stats().dropped, { unsigned: 3, bad_signature: 3 });
});

Deno.test("Without accepted publishers nothing is checked; undecodable bytes go to the engine", async () => {
  const open = await OriginSignatureFilter.create();
  assert.equal(open.checking, false);
  assert.equal(await open.check(encodeFrames([frame(1n, text.encode("x"), 0)])), true);
  const strict = await OriginSignatureFilter.create({
    acceptPublishers: [(await generateSigningKeyPair()).publicKey],
  });
  assert.equal(await strict.check(new Uint8Array([9, 9, 9])), true);
  await assert.rejects(() => open.signPublish(1n, new Uint8Array(1)), /no signing key/);
  await assert.rejects(
    () => OriginSignatureFilter.create({ acceptPublishers: ["AAAA"] }),
    /publisher key/,
  );
});
