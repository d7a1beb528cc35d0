/**
 * Each node's own account of what it delivered, read from its container log.
 *
 * The node prints one JSON line per delivered message (`id`, `origin`, `hops`, `data`, `from`,
 * `t`); `docker logs -t` prefixes each line with the time docker received it, which is the
 * delivery time the rig uses (one clock for all nodes: the host's). A restarted container appends
 * to the same log, so the account survives crashes.
 *
 * @module
 */

import { logs, mapLimit, type NodeInfo } from "./docker.ts";

/** One delivery as a node reported it. */
export interface Delivery {
  /** Message text (the rig publishes unique texts such as `m-base-3`). */
  data: string;
  /** Message id (16 hex digits). */
  id: string;
  /** Hop count reported by the node. */
  hops: number;
  /** Host time (ms since epoch) when docker received the line. */
  at: number;
  /** The node's own clock (`t`, ms since that process started); -1 when absent. */
  t: number;
}

/** Per-node accounts, refreshed by polling the container logs. */
export class Ledger {
  /** node name -> message text -> first delivery. */
  readonly accounts = new Map<string, Map<string, Delivery>>();
  /** node name -> texts delivered twice by the same process (a protocol duplicate). */
  readonly duplicates = new Map<string, number>();
  /** node name -> texts delivered again by a later process (after a restart). */
  readonly redelivered = new Map<string, number>();
  /** node name -> processes seen in the log (1 + restarts), told apart by `t` going back. */
  readonly incarnations = new Map<string, number>();
  /** Lines that were not delivery JSON (stderr noise is not read at all). */
  otherLines = 0;

  /** Re-reads the logs of the given nodes (default parallelism 6). */
  async refresh(nodes: NodeInfo[], parallel = 6): Promise<void> {
    await mapLimit(nodes, parallel, async (n) => {
      this.#ingest(n.name, await logs(n.name));
    });
  }

  #ingest(node: string, text: string): void {
    const account = new Map<string, Delivery>();
    let dups = 0;
    let again = 0;
    let other = 0;
    let incarnation = 0;
    let lastT = Infinity;
    let current = new Set<string>();
    for (const line of text.split("\n")) {
      const d = parseLine(line);
      if (d === undefined) {
        if (line.trim() !== "") other++;
        continue;
      }
      // `t` counts from the process start: when it goes back, a restarted process is logging.
      if (d.t >= 0 && d.t < lastT) {
        incarnation++;
        current = new Set();
      }
      if (d.t >= 0) lastT = d.t;
      if (current.has(d.data)) dups++;
      else if (account.has(d.data)) again++;
      current.add(d.data);
      if (!account.has(d.data)) account.set(d.data, d);
    }
    this.accounts.set(node, account);
    this.duplicates.set(node, dups);
    this.redelivered.set(node, again);
    this.incarnations.set(node, Math.max(1, incarnation));
    this.otherLines += other;
  }

  /** The node's first delivery of `data`, if any. */
  get(node: string, data: string): Delivery | undefined {
    return this.accounts.get(node)?.get(data);
  }

  /** The pairs of `pairs` that their node has not delivered (yet). */
  missing(pairs: Pair[]): Pair[] {
    return pairs.filter((p) => !this.get(p.node, p.data));
  }

  /**
   * Polls the logs of `nodes` until every pair in `pairs` is delivered or the deadline passes.
   * Returns the pairs still missing (empty on success). `progress` is called after each poll;
   * `shouldStop` ends the wait early (interrupt).
   */
  async waitFor(
    nodes: NodeInfo[],
    pairs: Pair[],
    deadlineMs: number,
    progress?: (have: number, want: number) => void,
    shouldStop?: () => boolean,
  ): Promise<Pair[]> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const started = Date.now();
      await this.refresh(nodes);
      const missing = this.missing(pairs);
      progress?.(pairs.length - missing.length, pairs.length);
      if (missing.length === 0 || Date.now() >= until || shouldStop?.()) return missing;
      // Bounded poll interval: re-read at most every 500 ms (a read of 24 logs takes a while).
      const wait = Math.max(0, 500 - (Date.now() - started));
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** A (node, message text) pair: "this node should have delivered this message". */
export interface Pair {
  /** Container name. */
  node: string;
  /** Message text. */
  data: string;
}

/** All pairs of `nodes` × `texts`. */
export function pairsOf(nodes: NodeInfo[], texts: string[]): Pair[] {
  return nodes.flatMap((n) => texts.map((data) => ({ node: n.name, data })));
}

/** Parses one `docker logs -t` line into a delivery, or undefined for any other line. */
export function parseLine(line: string): Delivery | undefined {
  const space = line.indexOf(" ");
  if (space < 20) return undefined;
  const at = Date.parse(line.slice(0, space));
  const json = line.slice(space + 1).trim();
  if (!Number.isFinite(at) || !json.startsWith("{")) return undefined;
  try {
    const o = JSON.parse(json) as Record<string, unknown>;
    if (typeof o.data !== "string" || typeof o.id !== "string") return undefined;
    return {
      data: o.data,
      id: o.id,
      hops: typeof o.hops === "number" ? o.hops : -1,
      at,
      t: typeof o.t === "number" ? o.t : -1,
    };
  } catch {
    return undefined;
  }
}
