/**
 * A swarm of Sybil UDP sockets on loopback for eclipse tests and the eclipse bench: each socket
 * answers PINGs, accepts every NEIGHBOR, answers JOIN and SHUFFLE with lists of Sybils only, and
 * swallows everything else; `flood()` sends JOIN, NEIGHBOR(high) and SHUFFLE to a victim at a
 * fixed rate from the swarm's addresses in turn.
 *
 * @module
 */

import type { Transport } from "../lib/transport/transport.ts";
import { UdpTransport } from "../lib/transport/udp_transport.ts";
import { decodeDatagram } from "../lib/wire/codec.ts";
import { type Frame, FrameType, type PeerEntry } from "../lib/wire/frame.ts";
import { encodeFrames } from "../lib/core/outbox.ts";

/** Sybil sockets that look alive and eager to a victim. */
export class SybilSwarm {
  readonly sockets: Transport[] = [];
  readonly ids: number[] = [];
  /** Datagrams the swarm sent (flood and answers). */
  sent = 0;
  /** Datagrams the swarm received. */
  received = 0;
  #loops: Promise<void>[] = [];

  /** Opens `size` sockets on 127.0.0.1 and starts answering. */
  static open(size: number): SybilSwarm {
    const swarm = new SybilSwarm();
    for (let i = 0; i < size; i++) {
      const socket = UdpTransport.listen("127.0.0.1:0");
      swarm.sockets.push(socket);
      swarm.ids.push(0x5b_0000_0000 + i);
      swarm.#loops.push(swarm.#answer(i));
    }
    return swarm;
  }

  /** The swarm's addresses. */
  get addresses(): string[] {
    return this.sockets.map((socket) => socket.localAddress);
  }

  #list(except: number): PeerEntry[] {
    const list: PeerEntry[] = [];
    for (let k = 1; k <= 14 && k < this.sockets.length; k++) {
      const j = (except + k * 7) % this.sockets.length;
      if (j === except) continue;
      list.push({ nodeId: this.ids[j]!, address: this.sockets[j]!.localAddress, age: 0 });
    }
    return list;
  }

  #peers(type: 9 | 10 | 11, i: number): Frame {
    return {
      type,
      ttl: type === FrameType.Shuffle ? 1 : 0,
      origin: { nodeId: this.ids[i]!, address: "0.0.0.0:0", age: 0 },
      peers: this.#list(i),
    };
  }

  async #send(i: number, to: string, frames: Frame[]): Promise<void> {
    this.sent++;
    await this.sockets[i]!.send(to, encodeFrames(frames));
  }

  async #answer(i: number): Promise<void> {
    const id = this.ids[i]!;
    for await (const packet of this.sockets[i]!) {
      this.received++;
      const decoded = decodeDatagram(packet.bytes);
      if (!decoded.ok) continue;
      const replies: Frame[] = [];
      for (const frame of decoded.frames) {
        if (frame.type === FrameType.Ping) {
          replies.push({ type: FrameType.Pong, nodeId: id, value: frame.value });
        } else if (frame.type === FrameType.Neighbor) {
          replies.push({ type: FrameType.NeighborReply, nodeId: id, value: 1 });
        } else if (frame.type === FrameType.Join) {
          replies.push(this.#peers(FrameType.Peers, i));
        } else if (frame.type === FrameType.Shuffle && frame.ttl !== 0) {
          replies.push(this.#peers(FrameType.ShuffleReply, i));
        }
      }
      if (replies.length > 0) await this.#send(i, packet.from, replies);
    }
  }

  /**
   * Sends JOIN, NEIGHBOR(high) and SHUFFLE in turn to `victim`, `rate` datagrams per second for
   * `durationMs`, each from the next Sybil address. Resolves when done.
   */
  async flood(victim: string, rate: number, durationMs: number): Promise<number> {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < durationMs) {
      const due = Math.floor((performance.now() - start) * rate / 1000);
      while (n < due) {
        const i = n % this.sockets.length;
        const frame: Frame = n % 3 === 0
          ? { type: FrameType.Join, nodeId: this.ids[i]!, value: 0 }
          : n % 3 === 1
          ? { type: FrameType.Neighbor, nodeId: this.ids[i]!, value: 1 }
          : this.#peers(FrameType.Shuffle, i);
        await this.#send(i, victim, [frame]);
        n++;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return n;
  }

  /** Closes every socket. */
  async close(): Promise<void> {
    await Promise.all(this.sockets.map((socket) => socket.close()));
    await Promise.all(this.#loops);
  }
}
