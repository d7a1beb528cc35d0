/**
 * Overlay connectivity: connected components of the graph of active views, for tests and
 * benchmarks (a node's links are read as undirected edges, as HyParView links are symmetric).
 *
 * @module
 */

import type { Address } from "../wire/address.ts";

/**
 * Groups the nodes of `views` (address → its active peers) into connected components, largest
 * first. Links to addresses not in `views` (dead nodes) are ignored.
 *
 * @example
 * ```ts
 * import { connectedComponents } from "./components.ts";
 * const parts = connectedComponents(new Map([["a", ["b"]], ["b", ["a"]], ["c", []]]));
 * if (parts.length !== 2 || parts[0]!.length !== 2) throw new Error("a-b and c");
 * ```
 */
export function connectedComponents(
  views: ReadonlyMap<Address, readonly Address[]>,
): Address[][] {
  const edges = new Map<Address, Address[]>();
  for (const node of views.keys()) edges.set(node, []);
  for (const [node, peers] of views) {
    for (const peer of peers) {
      if (peer === node || !edges.has(peer)) continue;
      edges.get(node)!.push(peer);
      edges.get(peer)!.push(node);
    }
  }
  const seen = new Set<Address>();
  const components: Address[][] = [];
  for (const start of edges.keys()) {
    if (seen.has(start)) continue;
    const component = [start];
    seen.add(start);
    for (let i = 0; i < component.length; i++) {
      for (const next of edges.get(component[i]!)!) {
        if (seen.has(next)) continue;
        seen.add(next);
        component.push(next);
      }
    }
    components.push(component);
  }
  return components.sort((a, b) => b.length - a.length);
}

/** In-degree figures of an overlay: how many live nodes list each node in their active view. */
export interface DegreeStats {
  /** Mean in-degree. */
  mean: number;
  /** Standard deviation of the in-degree. */
  sd: number;
  /** Smallest in-degree. */
  min: number;
  /** Largest in-degree. */
  max: number;
}

/** In-degree mean, standard deviation, min and max over the nodes of `views`. */
export function inDegrees(views: ReadonlyMap<Address, readonly Address[]>): DegreeStats {
  const degree = new Map<Address, number>();
  for (const node of views.keys()) degree.set(node, 0);
  for (const peers of views.values()) {
    for (const peer of peers) if (degree.has(peer)) degree.set(peer, degree.get(peer)! + 1);
  }
  const values = [...degree.values()];
  const n = Math.max(1, values.length);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  return {
    mean,
    sd: Math.sqrt(variance),
    min: values.length ? Math.min(...values) : 0,
    max: values.length ? Math.max(...values) : 0,
  };
}
