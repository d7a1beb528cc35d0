/**
 * The deterministic simulator: many real engines in one process on virtual time, over a network
 * with per-link delay, jitter, loss and partitions, all drawn from one seed. The same seed and
 * the same calls replay the same run, event for event.
 *
 * {@linkcode runScenario} runs the standard experiment (warm up, optionally crash or partition,
 * publish, wait for full delivery) and returns its figures; {@linkcode Simulation} is the
 * step-by-step rig underneath.
 *
 * @example One message through 200 simulated nodes
 * ```ts
 * import { runScenario } from "@starling/gossip/sim";
 *
 * const result = runScenario({ nodes: 200, seed: 7, messages: 1 });
 * console.log(result.delivered_fraction, result.max_hops, result.virtual_ms_to_full);
 * ```
 *
 * @module
 */

export {
  type MessageRecord,
  type SharedCpu,
  simAddress,
  Simulation,
  type SimulationOptions,
} from "./lib/sim/simulation.ts";
export { runScenario, type ScenarioOptions, type ScenarioResult } from "./lib/sim/scenario.ts";
