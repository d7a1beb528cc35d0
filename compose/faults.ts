/**
 * Fault injection inside the node containers (they run with NET_ADMIN).
 *
 * - Partitions: nftables in each receiving container drops packets by source address, so a
 *   partition can be two-way (both sides drop) or one-way (only one side drops).
 * - Loss: `tc netem loss` where the kernel has netem, else nftables
 *   `numgen random mod 100 < P drop` on input.
 * - Delay and jitter: `tc netem delay` only (there is no nftables equivalent).
 * - Crashes: `docker kill` (SIGKILL) and `docker start`.
 *
 * Each container's nftables state is one table (`inet starling`) rewritten atomically.
 *
 * @module
 */

import { exec, mapLimit, type NodeInfo, run } from "./docker.ts";

/** What the rig can inject on this kernel. */
export interface FaultCapabilities {
  /** `tc qdisc ... netem` works (delay, jitter and loss by netem). */
  netem: boolean;
  /** nftables works inside the containers (partitions, loss fallback). */
  nft: boolean;
}

/** Network interface of the cluster network inside each container. */
const IFACE = "eth0";
/** How many containers are changed at once. */
const PARALLEL = 8;

/** Per-container fault state; applied as a whole. */
interface NodeFaults {
  dropFrom: Set<string>;
  lossPercent: number;
  delayMs: number;
  jitterMs: number;
}

/** Probes netem and nftables once, in one running container. */
export async function detectCapabilities(container: string): Promise<FaultCapabilities> {
  const netem = await exec(
    container,
    `tc qdisc add dev ${IFACE} root netem delay 0ms && tc qdisc del dev ${IFACE} root`,
  );
  const nft = await exec(
    container,
    "nft add table inet starling_probe && nft delete table inet starling_probe",
  );
  return { netem: netem.code === 0, nft: nft.code === 0 };
}

/** Applies and clears faults on the node containers. */
export class Faults {
  readonly #state = new Map<string, NodeFaults>();

  /** Uses netem for loss/delay when `caps.netem`, nftables otherwise. */
  constructor(readonly caps: FaultCapabilities) {}

  #of(node: NodeInfo): NodeFaults {
    let s = this.#state.get(node.name);
    if (!s) {
      s = { dropFrom: new Set(), lossPercent: 0, delayMs: 0, jitterMs: 0 };
      this.#state.set(node.name, s);
    }
    return s;
  }

  /** How loss is injected on this machine. */
  get lossMethod(): "netem" | "nftables" {
    return this.caps.netem ? "netem" : "nftables";
  }

  /**
   * `receivers` stop hearing from `senders` (a one-way partition). Call it both ways for a full
   * partition, or use {@linkcode Faults.partition}.
   */
  async block(receivers: NodeInfo[], senders: NodeInfo[]): Promise<void> {
    const ips = senders.map((n) => n.ip).filter((ip) => ip !== "");
    for (const r of receivers) for (const ip of ips) this.#of(r).dropFrom.add(ip);
    await this.#apply(receivers);
  }

  /** Splits the cluster into groups that cannot reach each other (optionally one-way). */
  async partition(groups: NodeInfo[][], oneWay = false): Promise<void> {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j || (oneWay && j < i)) continue;
        const receivers = groups[i] ?? [];
        const senders = groups[j] ?? [];
        const ips = senders.map((n) => n.ip).filter((ip) => ip !== "");
        for (const r of receivers) for (const ip of ips) this.#of(r).dropFrom.add(ip);
      }
    }
    await this.#apply(groups.flat());
  }

  /** Drops `percent` % of the packets every node in `nodes` receives (netem: sends). */
  async loss(nodes: NodeInfo[], percent: number): Promise<void> {
    for (const n of nodes) this.#of(n).lossPercent = percent;
    await this.#apply(nodes);
  }

  /** Adds delay ± jitter to every packet the nodes send; needs netem. */
  async delay(nodes: NodeInfo[], delayMs: number, jitterMs: number): Promise<void> {
    if (!this.caps.netem) throw new Error("delay needs tc netem, which this kernel lacks");
    for (const n of nodes) Object.assign(this.#of(n), { delayMs, jitterMs });
    await this.#apply(nodes);
  }

  /** Removes every fault from the given nodes (default: all nodes touched so far). */
  async heal(nodes?: NodeInfo[]): Promise<void> {
    const targets = nodes ?? [...this.#state.keys()].map((name) => ({ name }) as NodeInfo);
    for (const n of targets) this.#state.delete(n.name);
    await this.#apply(targets);
  }

  /** Forgets the state of containers that were restarted (their network namespace is new). */
  forget(nodes: NodeInfo[]): void {
    for (const n of nodes) this.#state.delete(n.name);
  }

  async #apply(nodes: NodeInfo[]): Promise<void> {
    const failures: string[] = [];
    await mapLimit(nodes, PARALLEL, async (n) => {
      const s = this.#state.get(n.name) ??
        { dropFrom: new Set<string>(), lossPercent: 0, delayMs: 0, jitterMs: 0 };
      const nftLoss = this.caps.netem ? 0 : s.lossPercent;
      const r = await exec(n.name, "nft -f -", nftRuleset(s.dropFrom, nftLoss));
      if (r.code !== 0) failures.push(`${n.name} nft: ${r.stderr.trim()}`);
      if (this.caps.netem) {
        const t = await exec(n.name, netemCommand(s));
        if (t.code !== 0) failures.push(`${n.name} tc: ${t.stderr.trim()}`);
      }
    });
    if (failures.length > 0) throw new Error(`fault injection failed: ${failures.join("; ")}`);
  }
}

/** The nftables script that replaces the `inet starling` table with the given rules. */
export function nftRuleset(dropFrom: Set<string>, lossPercent: number): string {
  const rules: string[] = [];
  if (dropFrom.size > 0) rules.push(`ip saddr { ${[...dropFrom].sort().join(", ")} } drop`);
  const loss = Math.round(lossPercent);
  if (loss >= 100) rules.push("drop");
  else if (loss > 0) rules.push(`numgen random mod 100 < ${loss} drop`);
  // "add" first so that "delete" never fails on a fresh container; the file applies atomically.
  return [
    "add table inet starling",
    "delete table inet starling",
    ...(rules.length === 0 ? [] : [
      "table inet starling {",
      "  chain input {",
      "    type filter hook input priority 0; policy accept;",
      ...rules.map((r) => `    ${r}`),
      "  }",
      "}",
    ]),
    "",
  ].join("\n");
}

function netemCommand(s: NodeFaults): string {
  const parts: string[] = [];
  if (s.delayMs > 0) parts.push(`delay ${s.delayMs}ms ${s.jitterMs}ms distribution normal`);
  if (s.lossPercent > 0) parts.push(`loss ${s.lossPercent}%`);
  if (parts.length === 0) return `tc qdisc del dev ${IFACE} root 2>/dev/null; true`;
  return `tc qdisc replace dev ${IFACE} root netem ${parts.join(" ")}`;
}

/** Crashes containers with SIGKILL (no graceful leave). */
export async function kill(nodes: NodeInfo[]): Promise<void> {
  if (nodes.length === 0) return;
  const r = await run(["docker", "kill", "-s", "KILL", ...nodes.map((n) => n.name)]);
  if (r.code !== 0) throw new Error(`docker kill failed: ${r.stderr.trim()}`);
}

/** Starts stopped containers again (same name and log; possibly a new address). */
export async function restart(nodes: NodeInfo[]): Promise<void> {
  if (nodes.length === 0) return;
  const r = await run(["docker", "start", ...nodes.map((n) => n.name)], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`docker start failed: ${r.stderr.trim()}`);
}
