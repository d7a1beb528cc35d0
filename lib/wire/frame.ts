/**
 * The frames of wire version 1. A datagram is one version byte followed by one or more frames;
 * each frame starts with its type byte. Type numbers are fixed forever: new frames get new numbers,
 * existing ones are never reordered. docs/PROTOCOL.md gives the byte layout of each.
 *
 * @module
 */

import type { Address } from "./address.ts";
import type { MessageId } from "./message_id.ts";

/** The wire version this build speaks; the first byte of every datagram. */
export const WIRE_VERSION = 1;

/** Frame type numbers. */
export const FrameType = {
  /** A message payload. */
  Data: 1,
  /** Receipt of message ids (push ACKs). */
  Ack: 2,
  /** Announcement of message ids the sender holds (lazy push, pull sync). */
  IHave: 3,
  /** Request for message payloads by id. */
  IWant: 4,
  /** Plumtree: move the link to lazy, the sender got a duplicate over it. */
  Prune: 5,
  /** Plumtree: make the link eager again and send these ids. */
  Graft: 6,
  /** Anti-entropy digest: ranges of sequence numbers held per origin. */
  Digest: 7,
  /** A node asks a seed to let it in. */
  Join: 8,
  /** A list of peers (the answer to a join, or a view sample). */
  Peers: 9,
  /** Peer-sampling exchange request with a random walk budget. */
  Shuffle: 10,
  /** Peer-sampling exchange answer. */
  ShuffleReply: 11,
  /** Liveness probe. */
  Ping: 12,
  /** Answer to a probe. */
  Pong: 13,
  /** Ask a peer to probe a target on the sender's behalf. */
  PingReq: 14,
  /** HyParView: ask to become an active neighbour. */
  Neighbor: 15,
  /** HyParView: the sender dropped the receiver from its active view. */
  Disconnect: 16,
  /** HyParView: a join travelling on a random walk. */
  ForwardJoin: 17,
  /** HyParView: answer to a neighbour request. */
  NeighborReply: 18,
  /** Plumtree: make the link eager (graft) or lazy (prune) in the trees of these origins. */
  TreeLink: 19,
  /** Address validation: a cookie to echo (challenge) or an echoed one. */
  Cookie: 20,
  /** Padding: lets a first contact carry enough bytes for the answer (anti-amplification). */
  Pad: 21,
  /** The largest datagram the sender accepts (mixed limits; see lib/engine/datagram_limits.ts). */
  DatagramLimit: 22,
  /**
   * Failure detection: a suspicion notice to a suspect, its refutation (ALIVE with a newer
   * incarnation), or a helper's NACK (see {@linkcode SuspicionKind}).
   */
  Suspicion: 23,
  /**
   * Shared tree: a subtree's census sent up to the parent after a rerooting message, or the
   * anchor handing its role to a child (see {@linkcode CensusKind}, lib/broadcast/tree_census.ts).
   */
  TreeCensus: 24,
} as const;

/** One of the {@linkcode FrameType} numbers. */
export type FrameTypeNumber = typeof FrameType[keyof typeof FrameType];

/** A peer as it travels in peer lists: its node id, its address and an age in exchange rounds. */
export interface PeerEntry {
  /** The peer's 40-bit node id (changes on every restart). */
  nodeId: number;
  /** The peer's address. */
  address: Address;
  /** Rounds since this entry was created by its subject (peer sampling); 0..255. */
  age: number;
}

/** A run `low..high` (inclusive) of sequence numbers held for one origin. */
export interface SeqRange {
  /** Origin node id. */
  origin: number;
  /** First sequence number of the run. */
  low: number;
  /** Last sequence number of the run. */
  high: number;
}

/** A data frame: one message. */
export interface DataFrame {
  type: typeof FrameType.Data;
  /** Bit flags, see {@linkcode DataFlag}. */
  flags: number;
  id: MessageId;
  /** Hops travelled so far (0 at the origin). */
  hops: number;
  /** The payload; a view into the received datagram, not a copy. */
  payload: Uint8Array;
}

/** Flags of a data frame. */
/** Bytes of the Ed25519 signature that ends the payload of a data frame with `DataFlag.Signed`. */
export const SIGNATURE_BYTES = 64;

export const DataFlag = {
  /** The payload ends with a 64-byte Ed25519 signature of the origin. */
  Signed: 1,
  /** Sent in answer to a pull (IWANT, graft, digest): do not count as an eager duplicate. */
  Repair: 2,
  /** A tree beacon of the anchor origin (empty, never handed to the application). */
  Beacon: 4,
  /**
   * One chunk of a message too large for one datagram: the payload starts with a 4-byte chunk
   * header (index, count; see lib/broadcast/chunking.ts). Each chunk has its own id and travels,
   * is cached and is repaired as a message of its own; the receiver reassembles and delivers once.
   */
  Chunk: 8,
  /**
   * Sent by the anchor of the shared tree (on a beacon or a message): goes over every link, not
   * only the tree's, and rebuilds the anchor's tree as the tree of first arrivals (tree_links.ts).
   */
  Reroot: 16,
} as const;

/** Frames that carry a list of ids. */
export interface IdListFrame {
  type: typeof FrameType.Ack | typeof FrameType.IWant | typeof FrameType.Graft;
  ids: MessageId[];
}

/** Announcement of held ids with the hop count each arrived with. */
export interface IHaveFrame {
  type: typeof FrameType.IHave;
  entries: { id: MessageId; hops: number }[];
}

/** Plumtree prune. */
export interface PruneFrame {
  type: typeof FrameType.Prune;
}

/** Plumtree link change for the trees of some origins (no payload asked). */
export interface TreeLinkFrame {
  type: typeof FrameType.TreeLink;
  /** True: push these origins' payloads over the link again; false: announce them only. */
  eager: boolean;
  /** Origin node ids (40 bits) whose trees change; 1..255 of them. */
  origins: number[];
}

/** Address validation cookie (see lib/engine/address_validation.ts). */
export interface CookieFrame {
  type: typeof FrameType.Cookie;
  /** False: a challenge the receiver must echo; true: the echo of the receiver's challenge. */
  echo: boolean;
  /** The 32-bit cookie. */
  value: number;
}

/** Padding of `length` zero bytes (0..255) after its two-byte header. */
export interface PadFrame {
  type: typeof FrameType.Pad;
  length: number;
}

/** The largest datagram the sender accepts, in bytes (the receiver clamps it to [512, 65507]). */
export interface DatagramLimitFrame {
  type: typeof FrameType.DatagramLimit;
  size: number;
}

/** Anti-entropy digest. */
export interface DigestFrame {
  type: typeof FrameType.Digest;
  /** True when the ranges list everything the sender holds; false when it is a slice. */
  complete: boolean;
  /**
   * When present: the ranges list everything the sender stored in the last `windowMs` ms (10 ms
   * resolution, at most 655,350), so the receiver can push back what it stored in that window and
   * the digest lacks, even from a slice.
   */
  windowMs?: number;
  ranges: SeqRange[];
}

/** Frames that carry only the sender's node id and a small number. */
export interface NodeFrame {
  type:
    | typeof FrameType.Join
    | typeof FrameType.Ping
    | typeof FrameType.Pong
    | typeof FrameType.Neighbor
    | typeof FrameType.NeighborReply
    | typeof FrameType.Disconnect;
  /** The sender's node id. */
  nodeId: number;
  /** Probe sequence, neighbour priority (1 high) or reply (1 accepted); 0 when unused. */
  value: number;
}

/** A list of peers, possibly on a random walk. */
export interface PeersFrame {
  type:
    | typeof FrameType.Peers
    | typeof FrameType.Shuffle
    | typeof FrameType.ShuffleReply
    | typeof FrameType.ForwardJoin;
  /** Remaining random-walk steps (Shuffle, ForwardJoin); Peers: 1 when join walks were started. */
  ttl: number;
  /** The node that started the exchange or join; the first entry on the wire. */
  origin: PeerEntry;
  peers: PeerEntry[];
}

/** Ask the receiver to probe `target` and report back with `seq`. */
export interface PingReqFrame {
  type: typeof FrameType.PingReq;
  nodeId: number;
  value: number;
  target: Address;
}

/** What a {@linkcode SuspicionFrame} says. */
export const SuspicionKind = {
  /** To a suspect: the sender suspects the receiver at `incarnation`; answer with `value`. */
  Suspect: 0,
  /** From a suspect: alive at `incarnation` (newer than the one suspected), echoing `value`. */
  Alive: 1,
  /** From a helper: the target of the PING-REQ with sequence `value` did not answer it. */
  Nack: 2,
} as const;

/** Suspicion stage of the failure detector (see lib/membership/suspicion.ts). */
export interface SuspicionFrame {
  type: typeof FrameType.Suspicion;
  /** One of the {@linkcode SuspicionKind} numbers. */
  kind: number;
  /** The sender's node id. */
  nodeId: number;
  /** The suspect's incarnation (as known to the sender of a notice, or its own in ALIVE). */
  incarnation: number;
  /** The notice's nonce (echoed by ALIVE), or the probe sequence a NACK answers. */
  value: number;
}

/** What a {@linkcode TreeCensusFrame} says. */
export const CensusKind = {
  /** Child to parent: the sender's whole subtree of the anchor's tree (nodes, depth sum, height). */
  Report: 0,
  /** Anchor to child: take the anchor role; the figures are the anchor's whole tree. */
  Handover: 1,
  /** Child to parent: the part of its subtree counted so far (a copy or report is late). */
  Partial: 2,
} as const;

/** Census of the shared tree after one rerooting message of its anchor. */
export interface TreeCensusFrame {
  type: typeof FrameType.TreeCensus;
  /** One of the {@linkcode CensusKind} numbers. */
  kind: number;
  /** The anchor's origin id (40 bits). */
  anchor: number;
  /** Sequence number of the rerooting message counted (24 bits). */
  epoch: number;
  /** Nodes counted (24 bits). */
  nodes: number;
  /** Sum of their depths below the anchor, in hops (32 bits). */
  depthSum: number;
  /** Report: the subtree's height; handover: handovers so far in this descent (8 bits). */
  extra: number;
}

/** Any frame of wire version 1. */
export type Frame =
  | DataFrame
  | IdListFrame
  | IHaveFrame
  | PruneFrame
  | TreeLinkFrame
  | CookieFrame
  | PadFrame
  | DatagramLimitFrame
  | DigestFrame
  | NodeFrame
  | PeersFrame
  | PingReqFrame
  | SuspicionFrame
  | TreeCensusFrame;

/**
 * The payload without its trailing signature when `flags` has {@linkcode DataFlag.Signed} (the
 * engine does this on delivery).
 *
 * @example
 * ```ts
 * import { stripSignature } from "./frame.ts";
 * const data = new Uint8Array(70);
 * if (stripSignature(data, 1).length !== 6) throw new Error("64 bytes off");
 * if (stripSignature(data, 0).length !== 70) throw new Error("unsigned kept");
 * ```
 */
export function stripSignature(data: Uint8Array, flags: number): Uint8Array {
  if ((flags & DataFlag.Signed) === 0) return data;
  return data.subarray(0, Math.max(0, data.length - SIGNATURE_BYTES));
}
