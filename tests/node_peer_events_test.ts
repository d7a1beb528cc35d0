import assert from "node:assert/strict";
import type { PeerEvent } from "../lib/engine/engine.ts";
import { GossipNode } from "../lib/node/node.ts";

/** Every "peer" event a node dispatches, with a bounded wait for one that matches. */
class PeerLog {
  readonly events: PeerEvent[] = [];
  #wake = new Set<() => void>();

  constructor(node: GossipNode) {
    node.addEventListener("peer", (event) => {
      this.events.push((event as CustomEvent<PeerEvent>).detail);
      for (const wake of this.#wake) wake();
    });
  }

  /** Resolves with the first event matching; rejects after `timeoutMs`. */
  wait(match: (event: PeerEvent) => boolean, timeoutMs: number, what: string): Promise<PeerEvent> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.events.find(match);
        if (found === undefined) return;
        clearTimeout(timer);
        this.#wake.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.#wake.delete(check);
        reject(new Error(`No ${what} in ${timeoutMs} ms; got ${JSON.stringify(this.events)}`));
      }, timeoutMs);
      this.#wake.add(check);
      check();
    });
  }
}

Deno.test("loopback nodes dispatch peer up events, and down when a neighbour closes", async () => {
  // Fast failure detection: a silent neighbour is probed after 100 ms and dead ~300 ms later.
  const options = { probeIntervalMs: 100, probeTimeoutMs: 60, antiEntropyIntervalMs: 200 };
  // `await using`: each node is closed however the test ends, even if a later start fails.
  await using a = await GossipNode.start({ ...options, seed: 1 });
  const logA = new PeerLog(a);
  await using b = await GossipNode.start({ ...options, seed: 2, seeds: [a.address] });
  const logB = new PeerLog(b);
  await using c = await GossipNode.start({ ...options, seed: 3, seeds: [a.address] });
  const logC = new PeerLog(c);
  const up = (node: GossipNode) => (e: PeerEvent) => e.type === "up" && e.address === node.address;
  const upB = await logA.wait(up(b), 10_000, "up event for b on a");
  assert.equal(upB.nodeId, b.id);
  const upC = await logA.wait(up(c), 10_000, "up event for c on a");
  assert.equal(upC.nodeId, c.id);
  assert.equal((await logB.wait(up(a), 10_000, "up event for a on b")).nodeId, a.id);
  assert.equal((await logC.wait(up(a), 10_000, "up event for a on c")).nodeId, a.id);
  assert.ok(a.activePeers().includes(b.address) && a.activePeers().includes(c.address));

  // c goes away without a word: its neighbours notice and report the link down.
  const cWasUpOnB = logB.events.some(up(c));
  await c.close();
  const down = (e: PeerEvent) => e.type === "down" && e.address === c.address;
  const downOnA = await logA.wait(down, 10_000, "down event for c on a");
  assert.equal(downOnA.nodeId, c.id);
  if (cWasUpOnB) await logB.wait(down, 10_000, "down event for c on b");
  assert.ok(!a.activePeers().includes(c.address));
  assert.ok(!logA.events.some((e) => e.type === "down" && e.address === b.address), "b stays");
});
