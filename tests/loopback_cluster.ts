/**
 * A cluster of real `GossipNode`s on loopback UDP, all joining through the first (local preset),
 * for the attack tests and the eclipse bench.
 *
 * @module
 */

import { GossipNode } from "../lib/node/node.ts";
import type { NodeOptions } from "../lib/node/options.ts";
import { localOptions } from "../lib/presets.ts";
import { UdpTransport } from "../lib/transport/udp_transport.ts";

/**
 * Starts `size` nodes on 127.0.0.1; node i gets the random seed `seedBase + i` and, when given,
 * the options `optionsOf(i)` over the local preset.
 */
export async function loopbackCluster(
  size: number,
  seedBase: number,
  optionsOf?: (i: number) => NodeOptions,
): Promise<GossipNode[]> {
  const nodes: GossipNode[] = [];
  for (let i = 0; i < size; i++) {
    nodes.push(
      await GossipNode.start({
        ...localOptions(),
        transport: UdpTransport.listen("127.0.0.1:0"),
        seeds: i === 0 ? [] : [nodes[0]!.address],
        seed: seedBase + i,
        ...optionsOf?.(i),
      }),
    );
  }
  return nodes;
}
