/**
 * A hand-driven context for unit tests of engine parts: frames queued to the outbox are captured
 * decoded, per destination, instead of being sent.
 *
 * @module
 */

import type { Delivery, EngineContext, PeerEvent } from "../lib/core/context.ts";
import { Outbox } from "../lib/core/outbox.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { createCounters } from "../lib/core/stats.ts";
import { type GossipOptions, resolveOptions } from "../lib/options.ts";
import { decodeDatagram } from "../lib/wire/codec.ts";
import { type DataFrame, type Frame, FrameType } from "../lib/wire/frame.ts";
import type { MessageId } from "../lib/wire/message_id.ts";

/** A context plus what it captured. */
export interface Harness {
  ctx: EngineContext;
  /** Frames flushed so far, with their destination. */
  sent: { to: string; frame: Frame }[];
  delivered: Delivery[];
  events: PeerEvent[];
  /** Flushes the outbox and returns (and forgets) what was sent. */
  flush(): { to: string; frame: Frame }[];
}

/** Builds a harness with the given options. */
export function harness(options: GossipOptions = {}, nodeId = 1): Harness {
  const sent: { to: string; frame: Frame }[] = [];
  const delivered: Delivery[] = [];
  const events: PeerEvent[] = [];
  const outbox = new Outbox(resolveOptions(options).maxDatagramSize, (to, bytes) => {
    const decoded = decodeDatagram(bytes);
    if (!decoded.ok) throw new Error(`outbox produced a bad datagram: ${decoded.reason}`);
    for (const frame of decoded.frames) sent.push({ to, frame });
  });
  const ctx: EngineContext = {
    nodeId,
    rng: seededPrng(nodeId),
    options: resolveOptions(options),
    outbox,
    counters: createCounters(),
    deliver: (message) => delivered.push(message),
    wakeAt: () => {},
    peerEvent: (event) => events.push(event),
    isValidated: () => true,
  };
  return {
    ctx,
    sent,
    delivered,
    events,
    flush() {
      outbox.flush();
      return sent.splice(0);
    },
  };
}

/** A small DATA frame of `id`, one hop out, as a node forwards it over an eager link. */
export function dataFrame(id: MessageId): DataFrame {
  return { type: FrameType.Data, flags: 0, id, hops: 1, payload: new Uint8Array(8) };
}
