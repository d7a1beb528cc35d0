/**
 * The pure protocol engine: Plumtree broadcast, HyParView membership and SWIM-style probing as a
 * state machine with no clock, no sockets and no `Math.random` inside. Datagrams go in through
 * `receive`, time through `tick`; inputs only change state, and everything the engine wants done
 * (datagrams to send, deliveries, peer events, the next deadline) waits in one {@linkcode Ready}
 * batch that the driver takes with `engine.ready()`, in the manner of etcd-io/raft.
 * {@linkcode GossipNode} drives one over UDP; the simulator drives thousands on virtual time; both
 * drain the batch the same way.
 *
 * Also here: the seeded random source the engine draws from, and the resolved defaults of every
 * protocol option.
 *
 * @example One engine, driven by hand
 * ```ts
 * import { Engine, seededPrng } from "@starling/gossip/engine";
 *
 * const engine = new Engine({ rng: seededPrng(1), seeds: ["10.0.0.2:7946"] });
 * engine.start(0); // time is an argument: here, virtual ms 0
 * const ready = engine.ready(); // what start() wants done, valid until the next call
 * for (let i = 0; i < ready.datagrams.length; i++) {
 *   console.log("send", ready.datagrams[i]!.length, "bytes to", ready.to[i]); // the join request
 * }
 * for (const message of ready.deliveries) console.log("delivered", message.data.length, "bytes");
 * console.log("tick again at", ready.deadline);
 * ```
 *
 * @module
 */

export {
  type Delivery,
  Engine,
  type EngineOptions,
  type EngineStats,
  type PeerEvent,
  type Ready,
} from "./lib/engine/engine.ts";
export { type Prng, seededPrng } from "./lib/core/prng.ts";
export { DEFAULT_OPTIONS, type ResolvedOptions, resolveOptions } from "./lib/options.ts";
