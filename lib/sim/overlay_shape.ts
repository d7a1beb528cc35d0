/**
 * The shape of an overlay: degrees and hop distances of the graph of active views (links read as
 * undirected edges, as HyParView links are symmetric). A broadcast tree over the overlay is at
 * least as deep as its root's eccentricity, and a new origin's first message, relayed over a tree
 * rooted elsewhere, can need up to the diameter: these are the figures the trees' hop counts are
 * bounded by. For tests and benchmarks.
 *
 * @module
 */

import type { Prng } from "../core/prng.ts";
import type { Address } from "../wire/address.ts";

/** Degree and distance figures of an overlay (distances over its largest component). */
export interface OverlayShape {
  /** Nodes in the overlay. */
  nodes: number;
  /** Nodes in the largest connected component (the distances are measured there). */
  largestComponent: number;
  /** Smallest eccentricity: the depth of a tree rooted at the overlay's centre. */
  radius: number;
  /** Largest eccentricity: the longest shortest path. */
  diameter: number;
  /** Mean hop distance over every pair of nodes of the largest component. */
  meanDistance: number;
  /** How many nodes have each degree (index = degree, undirected, links to dead nodes ignored). */
  degrees: number[];
  /** How many nodes have each eccentricity (index = eccentricity). */
  eccentricities: number[];
}

/** Undirected adjacency lists of `views`; links to addresses not in `views` are ignored. */
function adjacency(views: ReadonlyMap<Address, readonly Address[]>): number[][] {
  const index = new Map<Address, number>();
  for (const node of views.keys()) index.set(node, index.size);
  const sets = Array.from({ length: index.size }, () => new Set<number>());
  for (const [node, peers] of views) {
    const a = index.get(node)!;
    for (const peer of peers) {
      const b = index.get(peer);
      if (b === undefined || b === a) continue;
      sets[a]!.add(b);
      sets[b]!.add(a);
    }
  }
  return sets.map((set) => [...set]);
}

/** Degrees and distances of the undirected graph `edges` (node i's neighbours at index i). */
export function graphShape(edges: readonly (readonly number[])[]): OverlayShape {
  const n = edges.length;
  const distance = new Int32Array(n);
  const queue = new Int32Array(n);
  const degrees: number[] = [];
  for (const list of edges) degrees[list.length] = (degrees[list.length] ?? 0) + 1;
  // One breadth-first search per node: eccentricities and the component sizes at once.
  const eccentricity = new Int32Array(n);
  const reach = new Int32Array(n);
  const sums = new Float64Array(n);
  for (let source = 0; source < n; source++) {
    distance.fill(-1);
    distance[source] = 0;
    queue[0] = source;
    let head = 0, tail = 1, sum = 0, far = 0;
    while (head < tail) {
      const node = queue[head++]!;
      const d = distance[node]!;
      for (const next of edges[node]!) {
        if (distance[next] !== -1) continue;
        distance[next] = d + 1;
        sum += d + 1;
        far = d + 1;
        queue[tail++] = next;
      }
    }
    eccentricity[source] = far;
    reach[source] = tail;
    sums[source] = sum;
  }
  const largest = n === 0 ? 0 : Math.max(...reach);
  let radius = Infinity, diameter = 0, total = 0, members = 0;
  const eccentricities: number[] = [];
  for (let i = 0; i < n; i++) {
    if (reach[i] !== largest) continue;
    const e = eccentricity[i]!;
    radius = Math.min(radius, e);
    diameter = Math.max(diameter, e);
    eccentricities[e] = (eccentricities[e] ?? 0) + 1;
    total += sums[i]!;
    members++;
  }
  const pairs = members * (members - 1);
  return {
    nodes: n,
    largestComponent: largest,
    radius: radius === Infinity ? 0 : radius,
    diameter,
    meanDistance: pairs > 0 ? total / pairs : 0,
    degrees: Array.from(degrees, (count) => count ?? 0),
    eccentricities: Array.from(eccentricities, (count) => count ?? 0),
  };
}

/** Degrees and distances of the overlay `views` (address → its active peers). */
export function overlayShape(views: ReadonlyMap<Address, readonly Address[]>): OverlayShape {
  return graphShape(adjacency(views));
}

/**
 * The reference for `views`: a random graph with the same degree sequence (the configuration
 * model: every node's link ends paired at random, self-loops and repeated pairs dropped), the
 * shape a perfectly mixed membership would give with the same view sizes.
 */
export function randomGraphLike(
  views: ReadonlyMap<Address, readonly Address[]>,
  rng: Prng,
): number[][] {
  const edges = adjacency(views);
  const stubs: number[] = [];
  edges.forEach((list, node) => {
    for (let k = 0; k < list.length; k++) stubs.push(node);
  });
  for (let i = stubs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [stubs[i], stubs[j]] = [stubs[j]!, stubs[i]!];
  }
  const sets = edges.map(() => new Set<number>());
  for (let i = 0; i + 1 < stubs.length; i += 2) {
    const a = stubs[i]!, b = stubs[i + 1]!;
    if (a === b) continue;
    sets[a]!.add(b);
    sets[b]!.add(a);
  }
  return sets.map((set) => [...set]);
}
