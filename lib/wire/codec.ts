/**
 * Decoding of wire-version-1 datagrams (encoding is in encode.ts, re-exported here).
 *
 * Decoding reads the received bytes in place (payloads are views, not copies). The decoder never
 * throws: a datagram
 * that is short, long, of another version, of an unknown frame type or with a field out of range
 * yields a {@linkcode DecodeFailure} naming the reason, which the engine counts and drops.
 *
 * @module
 */

import { readAddress } from "./address.ts";
import { validChunk } from "./chunk_header.ts";
import { DATA_FRAME_HEADER, MAX_UDP_PAYLOAD, PEER_ENTRY_FIXED } from "./encode.ts";

export {
  DATA_FRAME_HEADER,
  DATAGRAM_HEADER,
  frameSize,
  MAX_UDP_PAYLOAD,
  writeFrame,
} from "./encode.ts";
import {
  DataFlag,
  type DataFrame,
  type Frame,
  FrameType,
  type PeerEntry,
  type PeersFrame,
  WIRE_VERSION,
} from "./frame.ts";

function readU40(view: DataView, at: number): number {
  return view.getUint8(at) * 2 ** 32 + view.getUint32(at + 1);
}

function readU24(view: DataView, at: number): number {
  return (view.getUint8(at) << 16) | view.getUint16(at + 1);
}
import { MAX_SEQ } from "./message_id.ts";

/** Why a datagram was dropped by the decoder. */
export type DecodeReason =
  | "empty"
  | "oversized"
  | "bad_version"
  | "unknown_type"
  | "truncated"
  | "bad_field"
  | "bad_address";

/** Every {@linkcode DecodeReason}, in a fixed order for stats tables. */
export const DECODE_REASONS: readonly DecodeReason[] = [
  "empty",
  "oversized",
  "bad_version",
  "unknown_type",
  "truncated",
  "bad_field",
  "bad_address",
];

/** A decoded datagram. */
export interface DecodeSuccess {
  ok: true;
  frames: Frame[];
}

/** A rejected datagram and the reason. */
export interface DecodeFailure {
  ok: false;
  reason: DecodeReason;
}

/** Size of the data frame header: type, flags, id, hops, payload length. */
class Reader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, public at: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  has(n: number): boolean {
    return this.at + n <= this.bytes.length;
  }
}

type FrameResult = Frame | DecodeReason;

function addressFailure(family: number | undefined): DecodeReason {
  return family === 4 || family === 6 || family === undefined ? "truncated" : "bad_address";
}

function readEntry(r: Reader): PeerEntry | DecodeReason {
  if (!r.has(PEER_ENTRY_FIXED + 1)) return "truncated";
  const nodeId = readU40(r.view, r.at);
  const age = r.view.getUint8(r.at + 5);
  const address = readAddress(r.bytes, r.at + 6);
  if (!address) return addressFailure(r.bytes[r.at + 6]);
  r.at = address.next;
  return { nodeId, age, address: address.address };
}

function readIds(r: Reader, type: typeof FrameType.Ack | 4 | 6): FrameResult {
  if (!r.has(1)) return "truncated";
  const count = r.view.getUint8(r.at);
  r.at += 1;
  if (count === 0) return "bad_field";
  if (!r.has(8 * count)) return "truncated";
  const ids = new Array<bigint>(count);
  for (let i = 0; i < count; i++) ids[i] = r.view.getBigUint64(r.at + 8 * i);
  r.at += 8 * count;
  return { type, ids };
}

function readData(r: Reader): DataFrame | DecodeReason {
  if (!r.has(DATA_FRAME_HEADER - 1)) return "truncated";
  const flags = r.view.getUint8(r.at);
  const id = r.view.getBigUint64(r.at + 1);
  const hops = r.view.getUint8(r.at + 9);
  const length = r.view.getUint16(r.at + 10);
  r.at += 12;
  if (flags > 31) return "bad_field";
  if (!r.has(length)) return "truncated";
  const payload = r.bytes.subarray(r.at, r.at + length);
  r.at += length;
  if ((flags & DataFlag.Chunk) !== 0 && !validChunk(flags, id, payload)) return "bad_field";
  return { type: FrameType.Data, flags, id, hops, payload };
}

function readPeers(r: Reader, type: PeersFrame["type"]): FrameResult {
  if (!r.has(2)) return "truncated";
  const ttl = r.view.getUint8(r.at);
  const count = r.view.getUint8(r.at + 1);
  r.at += 2;
  const origin = readEntry(r);
  if (typeof origin === "string") return origin;
  const peers: PeerEntry[] = [];
  for (let i = 0; i < count; i++) {
    const entry = readEntry(r);
    if (typeof entry === "string") return entry;
    peers.push(entry);
  }
  return { type, ttl, origin, peers };
}

function readFrame(r: Reader): FrameResult {
  const type = r.view.getUint8(r.at);
  r.at += 1;
  switch (type) {
    case FrameType.Data:
      return readData(r);
    case FrameType.Ack:
    case FrameType.IWant:
    case FrameType.Graft:
      return readIds(r, type);
    case FrameType.IHave: {
      if (!r.has(1)) return "truncated";
      const count = r.view.getUint8(r.at);
      r.at += 1;
      if (count === 0) return "bad_field";
      if (!r.has(9 * count)) return "truncated";
      const entries = new Array<{ id: bigint; hops: number }>(count);
      for (let i = 0; i < count; i++) {
        const p = r.at + 9 * i;
        entries[i] = { id: r.view.getBigUint64(p), hops: r.view.getUint8(p + 8) };
      }
      r.at += 9 * count;
      return { type, entries };
    }
    case FrameType.Prune:
      return { type };
    case FrameType.Cookie: {
      if (!r.has(5)) return "truncated";
      const flags = r.view.getUint8(r.at);
      const value = r.view.getUint32(r.at + 1);
      r.at += 5;
      if (flags > 1) return "bad_field";
      return { type, echo: flags === 1, value };
    }
    case FrameType.Pad: {
      if (!r.has(1)) return "truncated";
      const length = r.view.getUint8(r.at);
      if (!r.has(1 + length)) return "truncated";
      r.at += 1 + length;
      return { type, length };
    }
    case FrameType.DatagramLimit: {
      if (!r.has(2)) return "truncated";
      const size = r.view.getUint16(r.at);
      r.at += 2;
      return { type, size };
    }
    case FrameType.TreeLink: {
      if (!r.has(2)) return "truncated";
      const flags = r.view.getUint8(r.at);
      const count = r.view.getUint8(r.at + 1);
      r.at += 2;
      if (flags > 1 || count === 0) return "bad_field";
      if (!r.has(5 * count)) return "truncated";
      const origins = new Array<number>(count);
      for (let i = 0; i < count; i++) origins[i] = readU40(r.view, r.at + 5 * i);
      r.at += 5 * count;
      return { type, eager: flags === 1, origins };
    }
    case FrameType.Digest: {
      if (!r.has(2)) return "truncated";
      const flags = r.view.getUint8(r.at);
      const count = r.view.getUint8(r.at + 1);
      r.at += 2;
      if (flags > 3) return "bad_field";
      let windowMs: number | undefined;
      if ((flags & 2) !== 0) {
        if (!r.has(2)) return "truncated";
        windowMs = r.view.getUint16(r.at) * 10;
        r.at += 2;
      }
      if (!r.has(11 * count)) return "truncated";
      const ranges = [];
      for (let i = 0; i < count; i++) {
        const p = r.at + 11 * i;
        const low = readU24(r.view, p + 5);
        const high = readU24(r.view, p + 8);
        if (low > high || high > MAX_SEQ) return "bad_field";
        ranges.push({ origin: readU40(r.view, p), low, high });
      }
      r.at += 11 * count;
      const complete = (flags & 1) !== 0;
      return windowMs === undefined
        ? { type, complete, ranges }
        : { type, complete, windowMs, ranges };
    }
    case FrameType.Join:
    case FrameType.Ping:
    case FrameType.Pong:
    case FrameType.Neighbor:
    case FrameType.NeighborReply:
    case FrameType.Disconnect: {
      if (!r.has(9)) return "truncated";
      const nodeId = readU40(r.view, r.at);
      const value = r.view.getUint32(r.at + 5);
      r.at += 9;
      return { type, nodeId, value };
    }
    case FrameType.PingReq: {
      if (!r.has(10)) return "truncated";
      const nodeId = readU40(r.view, r.at);
      const value = r.view.getUint32(r.at + 5);
      const target = readAddress(r.bytes, r.at + 9);
      if (!target) return addressFailure(r.bytes[r.at + 9]);
      r.at = target.next;
      return { type, nodeId, value, target: target.address };
    }
    case FrameType.Peers:
    case FrameType.Shuffle:
    case FrameType.ShuffleReply:
    case FrameType.ForwardJoin:
      return readPeers(r, type);
    case FrameType.Suspicion: {
      if (!r.has(14)) return "truncated";
      const kind = r.view.getUint8(r.at);
      if (kind > 2) return "bad_field";
      const nodeId = readU40(r.view, r.at + 1);
      const incarnation = r.view.getUint32(r.at + 6);
      const value = r.view.getUint32(r.at + 10);
      r.at += 14;
      return { type, kind, nodeId, incarnation, value };
    }
    case FrameType.TreeCensus: {
      if (!r.has(17)) return "truncated";
      const kind = r.view.getUint8(r.at);
      if (kind > 2) return "bad_field";
      const anchor = readU40(r.view, r.at + 1);
      const epoch = readU24(r.view, r.at + 6);
      const nodes = readU24(r.view, r.at + 9);
      const depthSum = r.view.getUint32(r.at + 12);
      const extra = r.view.getUint8(r.at + 16);
      r.at += 17;
      return { type, kind, anchor, epoch, nodes, depthSum, extra };
    }
    default:
      return "unknown_type";
  }
}

/**
 * Decodes one datagram. Never throws; a bad datagram is rejected whole with its reason, so a
 * half-valid datagram cannot smuggle its valid frames past a check that the rest failed.
 */
export function decodeDatagram(
  bytes: Uint8Array,
  maxSize = MAX_UDP_PAYLOAD,
): DecodeSuccess | DecodeFailure {
  if (bytes.length === 0) return { ok: false, reason: "empty" };
  if (bytes.length > maxSize) return { ok: false, reason: "oversized" };
  if (bytes[0] !== WIRE_VERSION) return { ok: false, reason: "bad_version" };
  if (bytes.length === 1) return { ok: false, reason: "empty" };
  const reader = new Reader(bytes, 1);
  const frames: Frame[] = [];
  while (reader.at < bytes.length) {
    const frame = readFrame(reader);
    if (typeof frame === "string") return { ok: false, reason: frame };
    frames.push(frame);
  }
  return { ok: true, frames };
}
