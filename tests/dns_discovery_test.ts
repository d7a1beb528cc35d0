// DNS discovery against a Kubernetes headless Service: the name answers with one A record per
// pod of the StatefulSet, the asking pod's own address among them, in a different order on
// every query (CoreDNS shuffles). Nodes run on an in-memory network whose addresses are the pod
// IPs, so what a node sends to itself is seen by the network.
import assert from "node:assert/strict";
import { dnsDiscovery } from "../lib/discovery/discovery.ts";
import type { DnsResolver } from "../lib/discovery/resolve.ts";
import { GossipNode } from "../lib/node/node.ts";
import { localOptions } from "../lib/presets.ts";
import { MemoryNetwork } from "../lib/transport/memory_transport.ts";
import type { Transport } from "../lib/transport/transport.ts";
import type { Address } from "../lib/wire/address.ts";
import { until } from "./until.ts";

const SERVICE = "starling-peers.default.svc.cluster.local";
const PODS = 6;
const podIps = Array.from({ length: PODS }, (_, i) => `10.244.${i % 3}.${10 + i}`);

/** The headless Service's records: every pod IP, rotated on each query; no AAAA records. */
function headlessService(): { resolver: DnsResolver; queries: () => number } {
  let queries = 0;
  const resolver: DnsResolver = (name, type) => {
    if (name !== SERVICE) return Promise.reject(new Error(`NXDOMAIN ${name}`));
    if (type === "AAAA") return Promise.resolve([]);
    const shift = queries++ % podIps.length;
    return Promise.resolve([...podIps.slice(shift), ...podIps.slice(0, shift)]);
  };
  return { resolver, queries: () => queries };
}

/** A network that counts datagrams an address sends to itself. */
class SelfCountingNetwork extends MemoryNetwork {
  readonly toSelf = new Map<Address, number>();
  override route(from: Address, to: Address, bytes: Uint8Array): boolean {
    if (from === to) this.toSelf.set(from, (this.toSelf.get(from) ?? 0) + 1);
    return super.route(from, to, bytes);
  }
}

/** The transport as a node bound to 0.0.0.0 sees it: its local address is the wildcard. */
function boundToWildcard(inner: Transport): Transport {
  return {
    localAddress: "0.0.0.0:7946",
    send: (to, bytes) => inner.send(to, bytes),
    close: () => inner.close(),
    [Symbol.asyncIterator]: () => inner[Symbol.asyncIterator](),
  };
}

async function statefulSet(
  network: SelfCountingNetwork,
  resolver: DnsResolver,
  wildcard: boolean,
): Promise<GossipNode[]> {
  const nodes: GossipNode[] = [];
  for (const [i, ip] of podIps.entries()) {
    const transport = network.open(`${ip}:7946`);
    nodes.push(
      await GossipNode.start({
        ...localOptions(),
        seed: 900 + i,
        transport: wildcard ? boundToWildcard(transport) : transport,
        discovery: dnsDiscovery(SERVICE, 7946, resolver),
        discoveryIntervalMs: 50,
      }),
    );
  }
  return nodes;
}

async function deliversEverywhere(nodes: GossipNode[]): Promise<void> {
  const got = nodes.map(() => new Set<string>());
  nodes.forEach((node, i) => node.onMessage((m) => got[i]!.add(new TextDecoder().decode(m.data))));
  nodes[2]!.publish(new TextEncoder().encode("from pod 2"));
  await until(
    () => got.every((seen, i) => i === 2 || seen.has("from pod 2")),
    5000,
    "the message from pod 2 reaches every other pod",
  );
}

Deno.test("dnsDiscovery: a StatefulSet's pods bound to their pod IPs never contact themselves", async () => {
  const network = new SelfCountingNetwork();
  const { resolver, queries } = headlessService();
  const nodes = await statefulSet(network, resolver, false);
  try {
    await until(
      () => nodes.every((node) => node.stats().node.discoveryRounds >= 5),
      5000,
      "rounds",
    );
    await deliversEverywhere(nodes);
    assert.ok(queries() >= PODS * 5);
    for (const [i, node] of nodes.entries()) {
      const own = `${podIps[i]}:7946`;
      const { discoveryRounds, discovered } = node.stats().node;
      // Every round handed the engine all the other pods, never the pod's own address.
      assert.equal(discovered, discoveryRounds * (PODS - 1), own);
      assert.ok(!node.peers().includes(own), `${own} lists itself as a peer`);
      assert.ok(node.activePeers().length > 0, `${own} has neighbours`);
    }
    assert.equal(network.toSelf.size, 0, `datagrams to self: ${[...network.toSelf]}`);
  } finally {
    await Promise.all(nodes.map((node) => node.close()));
  }
});

Deno.test("dnsDiscovery: pods bound to 0.0.0.0 learn their own IP once and keep it out of their views", async () => {
  const network = new SelfCountingNetwork();
  const { resolver } = headlessService();
  const nodes = await statefulSet(network, resolver, true);
  try {
    await until(
      () => nodes.every((node) => node.stats().node.discoveryRounds >= 25),
      10_000,
      "25 discovery rounds",
    );
    await deliversEverywhere(nodes);
    for (const [i, node] of nodes.entries()) {
      const own = `${podIps[i]}:7946`;
      assert.ok(!node.peers().includes(own), `${own} lists itself as a peer`);
      assert.ok(!node.activePeers().includes(own), `${own} is its own neighbour`);
      // The wildcard cannot filter the own record: the first JOIN goes to itself, the engine
      // recognises its own node id and skips that address in all 24 later rounds.
      const sent = network.toSelf.get(own) ?? 0;
      assert.ok(sent <= 1, `${own} sent ${sent} datagrams to itself in 25 rounds`);
    }
  } finally {
    await Promise.all(nodes.map((node) => node.close()));
  }
});
