/**
 * Codec benchmark: encode and decode cost per frame (data frames of 64, 256 and 1024 bytes, a
 * digest, an IHAVE), the outbox packing path the engine really uses, wire overhead per data
 * frame plain and sealed, and seal/open time when lib/security/sealer.ts is present.
 *
 * Run alone: `deno run --allow-read=. --allow-write=bench/out bench/codec_bench.ts`
 *
 * @module
 */

import { encodeFrames, Outbox } from "../lib/core/outbox.ts";
import { decodeDatagram, writeFrame } from "../lib/wire/codec.ts";
import { type Frame, FrameType } from "../lib/wire/frame.ts";
import { consume, finish, measure, measureAsync, say, type Timing } from "./harness.ts";

/** Figures of the codec benchmark. */
export interface CodecFigures {
  /** ns per encodeFrames / decodeDatagram call, by case. */
  encode_ns: Record<string, number>;
  decode_ns: Record<string, number>;
  /** ns per frame through Outbox.push + flush (the engine's send path). */
  outbox_ns: Record<string, number>;
  /** Bytes a one-data-frame datagram adds to its payload. */
  data_overhead_plain: number;
  data_overhead_sealed: number | null;
  seal_us: number | null;
  open_us: number | null;
}

const ID = 0x1234_5678_9abc_def0n;

function dataFrame(size: number): Frame {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = i & 255;
  return { type: FrameType.Data, flags: 0, id: ID, hops: 3, payload };
}

/** The frames measured, by name. */
export function sampleFrames(): Record<string, Frame[]> {
  const digest: Frame = {
    type: FrameType.Digest,
    complete: true,
    ranges: Array.from({ length: 40 }, (_, i) => ({ origin: 1000 + i, low: 1, high: 500 + i })),
  };
  const ihave: Frame = {
    type: FrameType.IHave,
    entries: Array.from({ length: 40 }, (_, i) => ({ id: ID + BigInt(i), hops: i & 7 })),
  };
  const acks: Frame = { type: FrameType.Ack, ids: [ID, ID + 1n, ID + 2n] };
  return {
    data_64: [dataFrame(64)],
    data_256: [dataFrame(256)],
    data_1024: [dataFrame(1024)],
    digest_40: [digest],
    ihave_40: [ihave],
    data_256_plus_ack_ihave: [dataFrame(256), acks, {
      type: FrameType.IHave,
      entries: [{ id: ID, hops: 1 }],
    }],
  };
}

function fmt(t: Timing): string {
  return `${t.ns} ns (median ${t.nsMedian})`;
}

interface SealerLike {
  seal(plain: Uint8Array): Promise<Uint8Array>;
  open(bytes: Uint8Array): Promise<{ ok: boolean }>;
}

async function loadSealer(): Promise<{ a: SealerLike; b: SealerLike } | undefined> {
  try {
    const base = new URL("../lib/security/", import.meta.url).href;
    const sealerModule = await import(base + "sealer.ts");
    const keyringModule = await import(base + "keyring.ts");
    const key = crypto.getRandomValues(new Uint8Array(32));
    const keyring = await keyringModule.Keyring.create([key]);
    const a = await sealerModule.Sealer.create({ keyring, label: "bench" });
    const b = await sealerModule.Sealer.create({ keyring, label: "bench" });
    return { a, b };
  } catch (error) {
    say(`  sealer: skipped (${(error as Error).message.split("\n")[0]})`);
    return undefined;
  }
}

/** Runs the codec benchmark and prints its figures. */
export async function runCodecBench(): Promise<CodecFigures> {
  say("== codec: encode / decode per datagram (best of 9 rounds) ==");
  const frames = sampleFrames();
  const encode_ns: Record<string, number> = {};
  const decode_ns: Record<string, number> = {};
  const outbox_ns: Record<string, number> = {};
  const scratch = new Uint8Array(65507);
  for (const [name, list] of Object.entries(frames)) {
    const bytes = encodeFrames(list);
    const enc = measure(() => encodeFrames(list));
    const write = measure(() => writeFrame(list[0]!, scratch, 1));
    const dec = measure(() => decodeDatagram(bytes));
    encode_ns[name] = enc.ns;
    encode_ns[`${name}_write_only`] = write.ns;
    decode_ns[name] = dec.ns;
    say(
      `  ${name.padEnd(24)} ${String(bytes.length).padStart(5)} B  encode ${fmt(enc)}, ` +
        `writeFrame ${write.ns} ns, decode ${fmt(dec)}`,
    );
  }

  say("== outbox: push + flush (engine send path), default maxDatagramSize 512 and 65507 ==");
  for (const max of [512, 65507]) {
    let bytesOut = 0;
    const outbox = new Outbox(max, (_to, datagram) => {
      bytesOut += datagram.length;
    });
    for (const name of ["data_256", "data_256_plus_ack_ihave"]) {
      const list = frames[name]!;
      const t = measure(() => {
        for (const frame of list) outbox.push("127.0.0.1:7000", frame);
        outbox.flush();
      });
      outbox_ns[`${name}_max${max}`] = t.ns;
      say(`  ${name.padEnd(24)} max ${String(max).padStart(5)}: ${fmt(t)} per flush`);
    }
    // Fan-out shape: one data frame to 8 peers in one flush.
    const data = frames.data_256![0]!;
    const peers = Array.from({ length: 8 }, (_, i) => `127.0.0.1:${7000 + i}`);
    const t = measure(() => {
      for (const peer of peers) outbox.push(peer, data);
      outbox.flush();
    });
    outbox_ns[`data_256_to_8_peers_max${max}`] = t.ns;
    say(
      `  ${"data_256 to 8 peers".padEnd(24)} max ${String(max).padStart(5)}: ${fmt(t)} per flush`,
    );
    consume(bytesOut);
  }

  const plain = encodeFrames(frames.data_256!);
  const overheadPlain = plain.length - 256;
  say("== wire overhead per data frame ==");
  say(`  plain: ${overheadPlain} B (target ≤ 14)`);
  let overheadSealed: number | null = null;
  let sealUs: number | null = null;
  let openUs: number | null = null;
  const sealers = await loadSealer();
  if (sealers) {
    const sealed = await sealers.a.seal(plain);
    overheadSealed = sealed.length - 256;
    say(`  sealed: ${overheadSealed} B (target ≤ 44)`);
    const seal = await measureAsync(() => sealers.a.seal(plain), 3000);
    const pool: Uint8Array[] = [];
    for (let i = 0; i < 3000 * 5 + 200; i++) pool.push(await sealers.a.seal(plain));
    let next = 0;
    let refused = 0;
    const open = await measureAsync(async () => {
      const r = await sealers.b.open(pool[next++]!);
      if (!r.ok) refused++;
      return r;
    }, 3000);
    sealUs = Math.round(seal.ns / 10) / 100;
    openUs = Math.round(open.ns / 10) / 100;
    say(`  seal 256 B datagram: ${sealUs} µs, open: ${openUs} µs (refused ${refused})`);
  }
  return {
    encode_ns,
    decode_ns,
    outbox_ns,
    data_overhead_plain: overheadPlain,
    data_overhead_sealed: overheadSealed,
    seal_us: sealUs,
    open_us: openUs,
  };
}

if (import.meta.main) {
  await finish("codec", { ...await runCodecBench() });
}
