/**
 * Fuzzing: over a million random, mutated and validly sealed garbage datagrams into an engine
 * (and the decrypt path). Nothing may throw, every decoder rejection must be counted under its
 * reason, and the engine's tables must stay within their configured bounds.
 */
import { drivenEngine } from "./driven_engine.ts";
import assert from "node:assert/strict";
import type { Engine } from "../lib/engine/engine.ts";
import { type Prng, seededPrng } from "../lib/core/prng.ts";
import { generateKey } from "../lib/security/key_material.ts";
import { Keyring } from "../lib/security/keyring.ts";
import { DEFAULT_OPTIONS } from "../lib/defaults.ts";
import { Sealer } from "../lib/security/sealer.ts";
import { DECODE_REASONS, decodeDatagram } from "../lib/wire/codec.ts";
import { type Frame, FrameType } from "../lib/wire/frame.ts";
import { makeMessageId } from "../lib/wire/message_id.ts";
import { encodeFrames } from "../lib/core/outbox.ts";

const BOUNDS = { seenCapacity: 2000, cacheMaxEntries: 300, cacheMaxBytes: 64 * 1024 };
/** Known peers are the active and passive views, each bounded by its size option. */
const MAX_PEERS = DEFAULT_OPTIONS.activeViewSize + DEFAULT_OPTIONS.passiveViewSize;
const MAX_DATAGRAM = 512;

function int(rng: Prng, n: number): number {
  return Math.floor(rng() * n);
}

function randomBytes(rng: Prng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = int(rng, 256);
  return out;
}

function randomAddress(rng: Prng): string {
  return `10.${int(rng, 4)}.${int(rng, 256)}.${1 + int(rng, 254)}:${1 + int(rng, 65535)}`;
}

function randomFrame(rng: Prng): Frame {
  const id = makeMessageId(int(rng, 2 ** 40), int(rng, 2 ** 24));
  const nodeFrame = (type: 8 | 12 | 13 | 15 | 16 | 18): Frame => ({
    type,
    nodeId: int(rng, 2 ** 40),
    value: int(rng, 2 ** 32),
  });
  switch (int(rng, 12)) {
    case 0:
    case 1:
      return {
        type: FrameType.Data,
        flags: int(rng, 4),
        id,
        hops: int(rng, 40),
        payload: randomBytes(rng, int(rng, 120)),
      };
    case 2:
      return { type: FrameType.Ack, ids: [id, id + 1n] };
    case 3:
      return { type: FrameType.IHave, entries: [{ id, hops: int(rng, 5) }] };
    case 4:
      return { type: FrameType.IWant, ids: [id] };
    case 5:
      return rng() < 0.5
        ? { type: FrameType.Prune }
        : { type: FrameType.TreeLink, eager: rng() < 0.5, origins: [int(rng, 2 ** 40)] };
    case 6:
      return {
        type: FrameType.Digest,
        complete: rng() < 0.5,
        ranges: [{ origin: int(rng, 2 ** 40), low: 0, high: int(rng, 1000) }],
      };
    case 7:
      return nodeFrame(([8, 12, 13, 15, 16, 18] as const)[int(rng, 6)]!);
    case 8:
    case 9: {
      const entry = () => ({
        nodeId: int(rng, 2 ** 40),
        address: randomAddress(rng),
        age: int(rng, 9),
      });
      const types = [
        FrameType.Peers,
        FrameType.Shuffle,
        FrameType.ShuffleReply,
        FrameType.ForwardJoin,
      ] as const;
      return {
        type: types[int(rng, 4)]!,
        ttl: int(rng, 6),
        origin: entry(),
        peers: Array.from({ length: int(rng, 6) }, entry),
      };
    }
    case 10:
      return {
        type: FrameType.PingReq,
        nodeId: int(rng, 2 ** 40),
        value: int(rng, 1000),
        target: randomAddress(rng),
      };
    default:
      return { type: FrameType.Graft, ids: [id] };
  }
}

function validDatagram(rng: Prng): Uint8Array {
  const frames: Frame[] = [];
  const count = 1 + int(rng, 3);
  for (let i = 0; i < count; i++) frames.push(randomFrame(rng));
  return encodeFrames(frames, 65507);
}

function mutate(rng: Prng, input: Uint8Array): Uint8Array {
  let bytes = input.slice();
  const rounds = 1 + int(rng, 3);
  for (let r = 0; r < rounds; r++) {
    switch (int(rng, 6)) {
      case 0: // flip a bit
        if (bytes.length) bytes[int(rng, bytes.length)]! ^= 1 << int(rng, 8);
        break;
      case 1: // set a byte to an edge value
        if (bytes.length) bytes[int(rng, bytes.length)] = [0, 1, 0x7f, 0x80, 0xff][int(rng, 5)]!;
        break;
      case 2: // truncate
        bytes = bytes.subarray(0, int(rng, bytes.length + 1));
        break;
      case 3: { // append garbage
        const extra = randomBytes(rng, 1 + int(rng, 40));
        const out = new Uint8Array(bytes.length + extra.length);
        out.set(bytes);
        out.set(extra, bytes.length);
        bytes = out;
        break;
      }
      case 4: // duplicate a slice (repeated frames)
        if (bytes.length > 2) {
          const from = 1 + int(rng, bytes.length - 1);
          const slice = bytes.subarray(from, from + 1 + int(rng, 30));
          const out = new Uint8Array(bytes.length + slice.length);
          out.set(bytes);
          out.set(slice, bytes.length);
          bytes = out;
        }
        break;
      default: // restore the version byte so the frame decoder is exercised
        if (bytes.length) bytes[0] = 1;
    }
  }
  return bytes;
}

interface Tally {
  fed: number;
  throws: number;
  decodeFailures: Record<string, number>;
}

function feed(engine: Engine, tally: Tally, bytes: Uint8Array, from: string, now: number): void {
  const expected = decodeDatagram(bytes, MAX_DATAGRAM);
  if (!expected.ok) {
    tally.decodeFailures[expected.reason] = (tally.decodeFailures[expected.reason] ?? 0) + 1;
  }
  tally.fed++;
  try {
    engine.receive(bytes, from, now);
  } catch {
    tally.throws++;
  }
}

Deno.test("Fuzz: 1,000,000+ random, mutated and sealed-garbage datagrams; no throw, all counted", async () => {
  const rng = seededPrng(20240601);
  const engine = drivenEngine(
    { rng: seededPrng(7), seeds: ["10.9.9.9:1"], maxDatagramSize: MAX_DATAGRAM, ...BOUNDS },
    { send: () => {}, deliver: () => {} },
  );
  const tally: Tally = { fed: 0, throws: 0, decodeFailures: {} };
  const sources = Array.from({ length: 50 }, () => randomAddress(rng));
  let now = 0;
  const step = () => {
    if (tally.fed % 64 === 0) {
      now += 1;
      try {
        engine.tick(now);
      } catch {
        tally.throws++;
      }
    }
  };

  // 1. Random bytes, a third of them starting with the real version byte.
  for (let i = 0; i < 350_000; i++) {
    const bytes = randomBytes(rng, int(rng, 600));
    if (bytes.length && rng() < 0.33) bytes[0] = 1;
    feed(engine, tally, bytes, sources[int(rng, sources.length)]!, now);
    step();
  }
  // 2. Mutations of valid datagrams (and some valid ones untouched).
  const corpus = Array.from({ length: 2000 }, () => validDatagram(rng));
  for (let i = 0; i < 550_000; i++) {
    const base = corpus[int(rng, corpus.length)]!;
    const bytes = rng() < 0.1 ? base : mutate(rng, base);
    feed(engine, tally, bytes, sources[int(rng, sources.length)]!, now);
    step();
  }
  // 3. Validly sealed garbage through the decrypt path: a few hundred sealed datagrams open,
  //    then their plaintexts (and mutations of them) are replayed into the engine; tampered
  //    and replayed sealed datagrams are refused with a reason.
  const key = generateKey();
  const sender = await Sealer.create({ keyring: await Keyring.create([key]), label: "fuzz" });
  const receiver = await Sealer.create({ keyring: await Keyring.create([key]), label: "fuzz" });
  const openReasons: Record<string, number> = {};
  let opened = 0, refused = 0, openThrows = 0;
  const open = async (bytes: Uint8Array): Promise<Uint8Array | undefined> => {
    try {
      const result = await receiver.open(bytes);
      if (result.ok) {
        opened++;
        return result.plain;
      }
      refused++;
      openReasons[result.reason] = (openReasons[result.reason] ?? 0) + 1;
    } catch {
      openThrows++;
    }
    return undefined;
  };
  const plains: Uint8Array[] = [];
  const sealedCorpus: Uint8Array[] = [];
  for (let i = 0; i < 400; i++) {
    const garbage = i % 2 === 0
      ? randomBytes(rng, 1 + int(rng, 400))
      : mutate(rng, validDatagram(rng));
    if (garbage.length === 0) continue;
    const sealed = await sender.seal(garbage);
    sealedCorpus.push(sealed);
    const plain = await open(sealed);
    assert.ok(plain, "a validly sealed datagram opens");
    plains.push(plain);
    feed(engine, tally, plain, sources[int(rng, sources.length)]!, now);
  }
  for (const sealed of sealedCorpus) await open(sealed); // replays
  for (let i = 0; i < 3000; i++) {
    await open(mutate(rng, sealedCorpus[int(rng, sealedCorpus.length)]!));
  }
  for (let i = 0; tally.fed < 1_000_000 || i < 100_000; i++) {
    const base = plains[int(rng, plains.length)]!;
    feed(
      engine,
      tally,
      rng() < 0.5 ? base : mutate(rng, base),
      sources[int(rng, sources.length)]!,
      now,
    );
    step();
  }

  assert.ok(tally.fed >= 1_000_000, `fed ${tally.fed}`);
  assert.equal(tally.throws, 0, "engine never throws");
  assert.equal(openThrows, 0, "open never throws");
  const stats = engine.stats();
  assert.equal(stats.datagramsIn, tally.fed);
  for (const reason of DECODE_REASONS) {
    assert.equal(stats.dropped[reason] ?? 0, tally.decodeFailures[reason] ?? 0, `reason ${reason}`);
  }
  const decodeDrops = Object.values(tally.decodeFailures).reduce((a, b) => a + b, 0);
  assert.ok(decodeDrops > 300_000 && decodeDrops < tally.fed, "a mix of rejected and accepted");
  assert.ok(stats.framesIn > 100_000, "many datagrams decoded and were handled");
  // Sealed path: each of the 400 opened once; replays and every tampered copy refused.
  assert.equal(opened, sealedCorpus.length);
  assert.equal(refused, sealedCorpus.length + 3000);
  // (A mutation that rewrites a byte with its own value is an exact replay, hence >=.)
  assert.ok((openReasons.replay ?? 0) >= sealedCorpus.length);
  assert.ok((openReasons.decrypt_failed ?? 0) > 1000, "tampered copies fail authentication");
  assert.equal(Object.values(openReasons).reduce((a, b) => a + b, 0), refused);
  // Bounded memory.
  assert.ok(stats.cacheEntries <= BOUNDS.cacheMaxEntries, `cache ${stats.cacheEntries}`);
  assert.ok(stats.cacheBytes <= BOUNDS.cacheMaxBytes, `cache bytes ${stats.cacheBytes}`);
  assert.ok(stats.seenEntries <= BOUNDS.seenCapacity, `seen ${stats.seenEntries}`);
  assert.ok(stats.peers <= MAX_PEERS, `peers ${stats.peers}`);
});
