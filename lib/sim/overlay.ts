/**
 * The membership overlay of a simulation as a graph: who holds whom in its active view, and
 * how many connected components the live nodes form. Shared by the membership tests and bench.
 *
 * @module
 */

import { connectedComponents } from "./components.ts";
import type { Address } from "../wire/address.ts";
import { simAddress, type Simulation } from "./simulation.ts";

/** Each live node's active view, keyed by its address. */
export function overlayOf(sim: Simulation): Map<Address, readonly Address[]> {
  const views = new Map<Address, readonly Address[]>();
  for (const i of sim.liveNodes()) views.set(simAddress(i), sim.engines[i]!.activePeers());
  return views;
}

/** Connected components of the live overlay (1 = connected). */
export function overlayComponents(sim: Simulation): number {
  return connectedComponents(overlayOf(sim)).length;
}
