/**
 * The pure protocol engine: Plumtree broadcast, HyParView membership and SWIM-style probing as a
 * state machine with no clock, no sockets and no `Math.random` inside. Datagrams go in through
 * `receive`, time through `tick`, and everything the engine wants done comes out through the
 * {@linkcode EngineOutput} callbacks. {@linkcode GossipNode} drives one over UDP; the simulator
 * drives thousands on virtual time.
 *
 * Also here: the seeded random source the engine draws from, and the resolved defaults of every
 * protocol option.
 *
 * @example One engine, driven by hand
 * ```ts
 * import { Engine, seededPrng } from "@starling/gossip/engine";
 *
 * const sent: Uint8Array[] = [];
 * const engine = new Engine({ rng: seededPrng(1), seeds: ["10.0.0.2:7946"] }, {
 *   send: (_to, datagram) => sent.push(datagram),
 *   deliver: (message) => console.log("delivered", message.data.length, "bytes"),
 * });
 * engine.start(0); // time is an argument: here, virtual ms 0
 * console.log(sent.length > 0); // the join request to the seed
 * ```
 *
 * @module
 */

export {
  type Delivery,
  Engine,
  type EngineOptions,
  type EngineOutput,
  type EngineStats,
  type PeerEvent,
} from "./lib/engine/engine.ts";
export { type Prng, seededPrng } from "./lib/core/prng.ts";
export { DEFAULT_OPTIONS, type ResolvedOptions, resolveOptions } from "./lib/options.ts";
