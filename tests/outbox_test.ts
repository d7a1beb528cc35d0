import assert from "node:assert/strict";
import { Outbox } from "../lib/core/outbox.ts";
import { decodeDatagram } from "../lib/wire/codec.ts";
import { type Frame, FrameType } from "../lib/wire/frame.ts";

Deno.test("Outbox packs frames for one peer into as few datagrams as fit", () => {
  const out: { to: string; bytes: Uint8Array; frames: number }[] = [];
  const box = new Outbox(100, (to, bytes, frames) => out.push({ to, bytes, frames }));
  const data = (n: number): Frame => ({
    type: FrameType.Data,
    flags: 0,
    id: BigInt(n),
    hops: 0,
    payload: new Uint8Array(30),
  });
  for (let i = 0; i < 5; i++) box.push("10.0.0.1:1", data(i)); // 43 bytes each: 2 per datagram
  box.push("10.0.0.2:1", { type: FrameType.Prune });
  box.flush();
  const first = out.filter((d) => d.to === "10.0.0.1:1");
  assert.deepEqual(first.map((d) => d.frames), [2, 2, 1]);
  for (const d of out) {
    assert.ok(d.bytes.length <= 100);
    assert.ok(decodeDatagram(d.bytes).ok);
  }
  assert.equal(out.filter((d) => d.to === "10.0.0.2:1").length, 1);
});

Deno.test("Outbox drops and counts a frame that cannot fit any datagram", () => {
  const out: Uint8Array[] = [];
  const box = new Outbox(64, (_to, bytes) => out.push(bytes));
  box.push("10.0.0.1:1", {
    type: FrameType.Data,
    flags: 0,
    id: 1n,
    hops: 0,
    payload: new Uint8Array(100),
  });
  box.push("10.0.0.1:1", { type: FrameType.Prune });
  box.flush();
  assert.equal(box.unencodable, 1);
  assert.equal(out.length, 1);
});
