/**
 * Adversaries for the simulator: addresses that are not honest engines but speak the wire format.
 *
 * An {@linkcode Adversary} owns a set of Sybil addresses (each with its own node id) and may also
 * send from addresses it does not own (spoofing). It sees every datagram honest nodes send to any
 * address that is not a simulated node, counts the bytes per destination (so reflection can be
 * measured: bytes honest nodes sent to an address per byte the adversary sent from it), and, when
 * `answering`, plays a Sybil that looks alive and eager: it answers PINGs, accepts every
 * NEIGHBOR, answers JOIN and SHUFFLE with lists of Sybils only, turns FORWARD_JOIN walks into
 * neighbour requests, and never forwards or repairs a message (a black hole).
 *
 * @module
 */

import { type Prng, randomInt, seededPrng } from "../core/prng.ts";
import type { Address } from "../wire/address.ts";
import { decodeDatagram } from "../wire/codec.ts";
import { type Frame, FrameType, type PeerEntry, type PeersFrame } from "../wire/frame.ts";
import { NODE_ID_SPACE } from "../wire/message_id.ts";
import type { Simulation } from "./simulation.ts";
import { encodeFrames } from "../core/outbox.ts";

/** Address of Sybil `i`: 172.16.0.0/16, 250 per /24, so they span several network groups. */
export function sybilAddress(i: number): Address {
  return `172.16.${Math.floor(i / 250)}.${(i % 250) + 1}:7946`;
}

/** Address of spoofed source `i`, distinct for i < 32,000,000 (TEST-NET-1 and -2: nobody is there). */
export function spoofedAddress(i: number): Address {
  const net = i % 2 === 0 ? "192.0.2" : "198.51.100";
  return `${net}.${((i >> 1) % 250) + 1}:${1024 + (Math.floor(i / 500) % 64000)}`;
}

/** Settings of an {@linkcode Adversary}. */
export interface AdversaryOptions {
  /** Sybil addresses owned. @default {0} */
  sybils?: number;
  /** Seed of the adversary's choices. @default {1} */
  seed?: number;
  /** Answer as live, eager Sybils (PONG, NEIGHBOR_REPLY, peer lists). @default {true} */
  answering?: boolean;
  /** Sybils listed in each peer list it sends. @default {14} */
  listSize?: number;
}

/** A set of Sybil addresses plus spoofing, driven by the attack scenarios. */
export class Adversary {
  /** The Sybil addresses owned. */
  readonly sybils: Address[] = [];
  /** Bytes honest nodes sent to each non-node address. */
  readonly bytesTo: Map<Address, number> = new Map();
  /** Bytes the adversary sent from each source address. */
  readonly bytesFrom: Map<Address, number> = new Map();
  /** Datagrams the adversary injected. */
  datagramsSent = 0;
  /** Answer as live Sybils. */
  answering: boolean;
  readonly #ids = new Map<Address, number>();
  readonly #rng: Prng;
  readonly #listSize: number;

  /**
   * Attaches to `sim` (takes its `external` hook).
   *
   * @param sim The simulation to attack.
   * @param options Sybil count, seed and behaviour.
   */
  constructor(readonly sim: Simulation, options: AdversaryOptions = {}) {
    this.#rng = seededPrng((options.seed ?? 1) ^ 0xad5e);
    this.answering = options.answering ?? true;
    this.#listSize = options.listSize ?? 14;
    for (let i = 0; i < (options.sybils ?? 0); i++) {
      const address = sybilAddress(i);
      this.sybils.push(address);
      this.#ids.set(address, Math.floor(this.#rng() * NODE_ID_SPACE));
    }
    sim.external = (from, to, bytes) => this.#receive(from, to, bytes);
  }

  /** The node id Sybil `address` uses. */
  idOf(address: Address): number {
    return this.#ids.get(address) ?? 0;
  }

  /** True when `address` is one of the Sybils. */
  owns(address: Address): boolean {
    return this.#ids.has(address);
  }

  /** A random Sybil. */
  randomSybil(): Address {
    return this.sybils[randomInt(this.#rng, this.sybils.length)]!;
  }

  /** Sends `frames` in one datagram to node `to`, from `source` (owned or spoofed). */
  send(source: Address, to: number, frames: Frame[]): void {
    const bytes = encodeFrames(frames);
    this.datagramsSent++;
    this.bytesFrom.set(source, (this.bytesFrom.get(source) ?? 0) + bytes.length);
    this.sim.inject(source, to, bytes);
  }

  /** A peer list of Sybils only (other than `except`). */
  sybilList(except?: Address): PeerEntry[] {
    const list: PeerEntry[] = [];
    for (let tries = 0; list.length < this.#listSize && tries < 4 * this.#listSize; tries++) {
      const address = this.randomSybil();
      if (address === except || list.some((entry) => entry.address === address)) continue;
      list.push({ nodeId: this.idOf(address), address, age: 0 });
    }
    return list;
  }

  /** A PEERS-style frame from Sybil `source` listing Sybils. */
  peersFrame(type: PeersFrame["type"], source: Address, ttl = 0): PeersFrame {
    return {
      type,
      ttl,
      origin: { nodeId: this.idOf(source), address: "0.0.0.0:0", age: 0 },
      peers: this.sybilList(source),
    };
  }

  /** Bytes honest nodes sent to `addresses` per byte the adversary sent from them. */
  amplification(addresses: Iterable<Address>): number {
    let out = 0;
    let back = 0;
    for (const address of addresses) {
      out += this.bytesFrom.get(address) ?? 0;
      back += this.bytesTo.get(address) ?? 0;
    }
    return out === 0 ? 0 : back / out;
  }

  #receive(from: number, to: Address, bytes: Uint8Array): void {
    this.bytesTo.set(to, (this.bytesTo.get(to) ?? 0) + bytes.length);
    if (!this.answering || !this.#ids.has(to)) return;
    const decoded = decodeDatagram(bytes);
    if (!decoded.ok) return;
    const id = this.idOf(to);
    const replies: Frame[] = [];
    for (const frame of decoded.frames) {
      switch (frame.type) {
        case FrameType.Ping:
          replies.push({ type: FrameType.Pong, nodeId: id, value: frame.value });
          break;
        case FrameType.Neighbor:
          replies.push({ type: FrameType.NeighborReply, nodeId: id, value: 1 });
          break;
        case FrameType.NeighborReply:
          // Our own request answered: nothing to do, the link stands on the honest side.
          break;
        case FrameType.Join:
          replies.push(this.peersFrame(FrameType.Peers, to));
          break;
        case FrameType.Shuffle:
          if (frame.ttl !== 0) replies.push(this.peersFrame(FrameType.ShuffleReply, to));
          break;
        case FrameType.ForwardJoin: {
          // A walk ended here would make an honest joiner link a Sybil: ask it outright.
          const joiner = this.sim.indexOf(frame.origin.address);
          if (joiner !== undefined) {
            this.send(to, joiner, [{ type: FrameType.Neighbor, nodeId: id, value: 1 }]);
          }
          break;
        }
        default:
          // Data, IHAVE, digests, pulls: swallowed; a black hole neither forwards nor repairs.
          break;
      }
    }
    if (replies.length > 0) this.send(to, from, replies);
  }
}
