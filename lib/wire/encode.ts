/**
 * Encoding of wire-version-1 frames: sizes known up front (`frameSize`), frames written in place
 * into a caller-sized buffer (`writeFrame`). Datagrams are packed by the engine's `Outbox`
 * (`encodeFrames` there builds one by hand). The decoder is in codec.ts, which re-exports all of
 * this.
 *
 * @module
 */

import { writeAddress } from "./address.ts";
import { type Frame, FrameType, type PeerEntry } from "./frame.ts";

export const DATA_FRAME_HEADER = 13;
/** Bytes a datagram spends before its first frame (the version byte). */
export const DATAGRAM_HEADER = 1;
/** Largest UDP payload over IPv4 (65,535 − 8 UDP − 20 IP). */
export const MAX_UDP_PAYLOAD = 65507;

/** Fixed bytes of a peer entry before its address. */
export const PEER_ENTRY_FIXED = 6; // node id (5) + age (1), then the address

function writeU40(view: DataView, at: number, value: number): void {
  view.setUint8(at, Math.floor(value / 2 ** 32) & 0xff);
  view.setUint32(at + 1, value >>> 0);
}

function writeU24(view: DataView, at: number, value: number): void {
  view.setUint8(at, (value >>> 16) & 0xff);
  view.setUint16(at + 1, value & 0xffff);
}

function entrySize(entry: PeerEntry): number {
  return PEER_ENTRY_FIXED + (entry.address.includes("[") ? 19 : 7);
}

/** Bytes `frame` takes on the wire. */
export function frameSize(frame: Frame): number {
  switch (frame.type) {
    case FrameType.Data:
      return DATA_FRAME_HEADER + frame.payload.length;
    case FrameType.Ack:
    case FrameType.IWant:
    case FrameType.Graft:
      return 2 + 8 * frame.ids.length;
    case FrameType.IHave:
      return 2 + 9 * frame.entries.length;
    case FrameType.Prune:
      return 1;
    case FrameType.TreeLink:
      return 3 + 5 * frame.origins.length;
    case FrameType.Cookie:
      return 6;
    case FrameType.Pad:
      return 2 + frame.length;
    case FrameType.DatagramLimit:
      return 3;
    case FrameType.Digest:
      return 3 + (frame.windowMs !== undefined ? 2 : 0) + 11 * frame.ranges.length;
    case FrameType.Join:
    case FrameType.Ping:
    case FrameType.Pong:
    case FrameType.Neighbor:
    case FrameType.NeighborReply:
    case FrameType.Disconnect:
      return 10;
    case FrameType.PingReq:
      return 10 + (frame.target.includes("[") ? 19 : 7);
    case FrameType.Suspicion:
      return 15;
    case FrameType.TreeCensus:
      return 18;
    case FrameType.Peers:
    case FrameType.Shuffle:
    case FrameType.ShuffleReply:
    case FrameType.ForwardJoin: {
      let size = 3 + entrySize(frame.origin);
      for (const peer of frame.peers) size += entrySize(peer);
      return size;
    }
  }
}

/**
 * Writes a plain `"a.b.c.d:port"` address by scanning its characters once; returns -2 when the
 * text is of any other shape, so the caller falls back to {@linkcode writeAddress} (which splits
 * and matches regular expressions, a large share of encoding peer lists in a simulation).
 * Accepts exactly what writeAddress accepts for IPv4: 1–3 digit octets up to 255, a 1–5 digit
 * port up to 65535.
 */
function writeIpv4Fast(address: string, out: Uint8Array, at: number): number {
  if (at + 7 > out.length) return -2;
  let i = 0;
  const length = address.length;
  for (let octet = 0; octet < 4; octet++) {
    let value = 0;
    const start = i;
    while (i < length) {
      const c = address.charCodeAt(i);
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || value > 255) return -2;
    if (address.charCodeAt(i) !== (octet < 3 ? 46 : 58)) return -2; // "." then ":"
    i++;
    out[at + 1 + octet] = value;
  }
  let port = 0;
  const start = i;
  while (i < length) {
    const c = address.charCodeAt(i);
    if (c < 48 || c > 57) return -2;
    port = port * 10 + (c - 48);
    i++;
  }
  if (i - start === 0 || i - start > 5 || port > 65535) return -2;
  out[at] = 4;
  out[at + 5] = port >> 8;
  out[at + 6] = port & 0xff;
  return at + 7;
}

function writeEntry(view: DataView, out: Uint8Array, at: number, entry: PeerEntry): number {
  writeU40(view, at, entry.nodeId);
  view.setUint8(at + 5, Math.min(255, entry.age));
  const next = writeIpv4Fast(entry.address, out, at + 6);
  return next === -2 ? writeAddress(entry.address, out, at + 6) : next;
}

// The DataView of the buffer last written: the outbox writes several frames into one datagram,
// and a view per frame was a measurable allocation on the hot path.
let lastOut: Uint8Array | undefined;
let lastView: DataView | undefined;

function viewOf(out: Uint8Array): DataView {
  if (out !== lastOut || lastView === undefined) {
    lastView = new DataView(out.buffer, out.byteOffset, out.byteLength);
    lastOut = out;
  }
  return lastView;
}

/**
 * Writes `frame` into `out` at offset `at`. Returns the offset after it, or -1 when it does not
 * fit or holds an address with no wire form (a host name). Lists longer than 255 are an error of
 * the caller and also yield -1.
 */
export function writeFrame(frame: Frame, out: Uint8Array, at: number): number {
  if (at + frameSize(frame) > out.length) return -1;
  const view = viewOf(out);
  view.setUint8(at, frame.type);
  switch (frame.type) {
    case FrameType.Data:
      view.setUint8(at + 1, frame.flags);
      view.setBigUint64(at + 2, frame.id);
      view.setUint8(at + 10, Math.min(255, frame.hops));
      view.setUint16(at + 11, frame.payload.length);
      out.set(frame.payload, at + 13);
      return at + 13 + frame.payload.length;
    case FrameType.Ack:
    case FrameType.IWant:
    case FrameType.Graft: {
      if (frame.ids.length > 255) return -1;
      view.setUint8(at + 1, frame.ids.length);
      let p = at + 2;
      for (const id of frame.ids) {
        view.setBigUint64(p, id);
        p += 8;
      }
      return p;
    }
    case FrameType.IHave: {
      if (frame.entries.length > 255) return -1;
      view.setUint8(at + 1, frame.entries.length);
      let p = at + 2;
      for (const entry of frame.entries) {
        view.setBigUint64(p, entry.id);
        view.setUint8(p + 8, Math.min(255, entry.hops));
        p += 9;
      }
      return p;
    }
    case FrameType.Prune:
      return at + 1;
    case FrameType.Cookie:
      view.setUint8(at + 1, frame.echo ? 1 : 0);
      view.setUint32(at + 2, frame.value >>> 0);
      return at + 6;
    case FrameType.Pad:
      if (frame.length > 255) return -1;
      view.setUint8(at + 1, frame.length);
      out.fill(0, at + 2, at + 2 + frame.length);
      return at + 2 + frame.length;
    case FrameType.DatagramLimit:
      view.setUint16(at + 1, Math.min(0xffff, frame.size));
      return at + 3;
    case FrameType.TreeLink: {
      if (frame.origins.length === 0 || frame.origins.length > 255) return -1;
      view.setUint8(at + 1, frame.eager ? 1 : 0);
      view.setUint8(at + 2, frame.origins.length);
      let p = at + 3;
      for (const origin of frame.origins) {
        writeU40(view, p, origin);
        p += 5;
      }
      return p;
    }
    case FrameType.Digest: {
      if (frame.ranges.length > 255) return -1;
      const windowed = frame.windowMs !== undefined;
      view.setUint8(at + 1, (frame.complete ? 1 : 0) | (windowed ? 2 : 0));
      view.setUint8(at + 2, frame.ranges.length);
      let p = at + 3;
      if (windowed) {
        view.setUint16(p, Math.min(0xffff, Math.floor(frame.windowMs! / 10)));
        p += 2;
      }
      for (const range of frame.ranges) {
        writeU40(view, p, range.origin);
        writeU24(view, p + 5, range.low);
        writeU24(view, p + 8, range.high);
        p += 11;
      }
      return p;
    }
    case FrameType.Join:
    case FrameType.Ping:
    case FrameType.Pong:
    case FrameType.Neighbor:
    case FrameType.NeighborReply:
    case FrameType.Disconnect:
      writeU40(view, at + 1, frame.nodeId);
      view.setUint32(at + 6, frame.value >>> 0);
      return at + 10;
    case FrameType.PingReq:
      writeU40(view, at + 1, frame.nodeId);
      view.setUint32(at + 6, frame.value >>> 0);
      return writeAddress(frame.target, out, at + 10);
    case FrameType.Suspicion:
      view.setUint8(at + 1, frame.kind);
      writeU40(view, at + 2, frame.nodeId);
      view.setUint32(at + 7, frame.incarnation >>> 0);
      view.setUint32(at + 11, frame.value >>> 0);
      return at + 15;
    case FrameType.TreeCensus:
      view.setUint8(at + 1, frame.kind);
      writeU40(view, at + 2, frame.anchor);
      writeU24(view, at + 7, frame.epoch);
      writeU24(view, at + 10, Math.min(frame.nodes, 0xffffff));
      view.setUint32(at + 13, Math.min(frame.depthSum, 0xffffffff) >>> 0);
      view.setUint8(at + 17, Math.min(frame.extra, 255));
      return at + 18;
    case FrameType.Peers:
    case FrameType.Shuffle:
    case FrameType.ShuffleReply:
    case FrameType.ForwardJoin: {
      if (frame.peers.length > 255) return -1;
      view.setUint8(at + 1, frame.ttl);
      view.setUint8(at + 2, frame.peers.length);
      let p = writeEntry(view, out, at + 3, frame.origin);
      for (const peer of frame.peers) {
        if (p < 0) return -1;
        p = writeEntry(view, out, p, peer);
      }
      return p;
    }
  }
}
