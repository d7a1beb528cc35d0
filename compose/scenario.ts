/**
 * Scenario building blocks: publishing, expectations, waiting on every node's own account,
 * figures, and convergence. The phases themselves are in phases.ts.
 *
 * @module
 */

import { median, percentile } from "../lib/sim/percentile.ts";
import { type ComposeProject, exec, mapLimit, type NodeInfo, run } from "./docker.ts";
import type { Faults } from "./faults.ts";
import { type Ledger, type Pair, pairsOf } from "./ledger.ts";

/** A message the rig published. */
export interface Published {
  /** Unique text, e.g. `m-loss-4`. */
  data: string;
  /** Phase key. */
  phase: string;
  /** Container that published it. */
  origin: string;
  /** Host time (ms) just before the publish. */
  at: number;
}

/** A time window with a fault (or a node being down) for the chart and report. */
export interface FaultWindow {
  /** Short label (partition, loss 25%, down, ...). */
  label: string;
  /** Start (host ms). */
  from: number;
  /** End (host ms); undefined while still active. */
  to?: number;
  /** Affected container names (all when absent). */
  nodes?: string[];
}

/** Outcome of one phase. */
export interface PhaseResult {
  /** Phase key: base, partition, loss, crash, delay. */
  key: string;
  /** Human title. */
  title: string;
  /** passed / failed / skipped. */
  status: "passed" | "failed" | "skipped";
  /** Why it failed or was skipped. */
  reason?: string;
  /** Messages published in the phase. */
  published: number;
  /** (node, message) deliveries expected on live nodes. */
  expected: number;
  /** Of those, delivered. */
  delivered: number;
  /** Per message: ms from publish until the last expected node delivered it. */
  fullDeliveryMs: { median: number; max: number } | null;
  /** Extra figures (heal to full delivery, rejoin time, leaks across a partition, ...). */
  figures: Record<string, number | string | null>;
  /** Up to 40 missing pairs, for diagnosis. */
  missing: Pair[];
  /** Host time window of the phase. */
  from: number;
  /** End of the phase. */
  to: number;
}

/** Everything a phase needs. */
export interface Ctx {
  /** The compose project of the cluster. */
  project: ComposeProject;
  /** Every node's account. */
  ledger: Ledger;
  /** Fault injection. */
  faults: Faults;
  /** Messages per phase. */
  messages: number;
  /** Seeded random in [0, 1). */
  random: () => number;
  /** Current nodes (refreshed after restarts). */
  nodes: NodeInfo[];
  /** Whether a node reports its own published messages in its account. */
  originReports: boolean;
  /** Every message published so far. */
  published: Published[];
  /** Fault windows so far. */
  windows: FaultWindow[];
  /** Multiplies every deadline (slow machines). */
  deadlineScale: number;
  /** Prints a progress line. */
  say(line: string): void;
  /** Shows "label: have/want". */
  progress(label: string, have: number, want: number): void;
  /** True once the run was interrupted. */
  stopped(): boolean;
}

/** A random element (seeded). */
export const pick = <T>(ctx: Ctx, items: readonly T[]): T =>
  items[Math.floor(ctx.random() * items.length)] as T;

/** A shuffled copy (seeded Fisher-Yates). */
export function shuffle<T>(ctx: Ctx, items: readonly T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(ctx.random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/** Publishes one message through the node's stdin FIFO. */
export async function publish(
  ctx: Ctx,
  phase: string,
  node: NodeInfo,
  data: string,
): Promise<Published> {
  const at = Date.now();
  const r = await exec(node.name, `printf '%s\\n' '${data}' > /tmp/in`);
  if (r.code !== 0) throw new Error(`publish on ${node.name} failed: ${r.stderr.trim()}`);
  const p = { data, phase, origin: node.name, at };
  ctx.published.push(p);
  return p;
}

/** Publishes `count` messages `m-<phase>-<n>` from random nodes of `from`. */
export async function publishMany(
  ctx: Ctx,
  phase: string,
  from: NodeInfo[],
  count: number,
  tag = "",
): Promise<Published[]> {
  const base = ctx.published.filter((p) => p.phase === phase).length;
  const texts = Array.from({ length: count }, (_, i) => `m-${phase}${tag}-${base + i + 1}`);
  return await mapLimit(texts, 4, (t) => publish(ctx, phase, pick(ctx, from), t));
}

/** Pairs each of `nodes` must deliver for `msgs` (origins excluded if they do not report). */
export function expect(ctx: Ctx, nodes: NodeInfo[], msgs: Published[]): Pair[] {
  return pairsOf(nodes, msgs.map((m) => m.data)).filter((p) =>
    ctx.originReports || !msgs.some((m) => m.data === p.data && m.origin === p.node)
  );
}

/** Waits (deadline `ms` × deadlineScale) until the pairs are delivered; returns those missing. */
export async function waitPairs(
  ctx: Ctx,
  label: string,
  nodes: NodeInfo[],
  pairs: Pair[],
  ms: number,
): Promise<Pair[]> {
  return await ctx.ledger.waitFor(
    nodes,
    pairs,
    ms * ctx.deadlineScale,
    (have, want) => ctx.progress(label, have, want),
    ctx.stopped,
  );
}

/** Per message: time from publish until the last of its expected pairs was delivered. */
export function fullDelivery(ctx: Ctx, msgs: Published[], pairs: Pair[]): number[] {
  const out: number[] = [];
  for (const m of msgs) {
    let last = 0;
    let complete = true;
    for (const p of pairs) {
      if (p.data !== m.data) continue;
      const d = ctx.ledger.get(p.node, p.data);
      if (!d) complete = false;
      else last = Math.max(last, d.at - m.at);
    }
    if (complete) out.push(last);
  }
  return out;
}

/** Median (the shared nearest-rank one) and max, rounded; null for no values. */
export function stats(values: number[]): { median: number; max: number } | null {
  if (values.length === 0) return null;
  return { median: Math.round(median(values)), max: Math.round(percentile(values, 100)) };
}

/** A phase result from its messages and expected pairs (failed if any pair is missing). */
export function result(
  ctx: Ctx,
  key: string,
  title: string,
  from: number,
  msgs: Published[],
  pairs: Pair[],
  extra: Partial<PhaseResult> = {},
): PhaseResult {
  const missing = ctx.ledger.missing(pairs);
  const failed = missing.length > 0 || extra.status === "failed";
  return {
    key,
    title,
    status: failed ? "failed" : "passed",
    ...(failed ? { reason: extra.reason ?? `${missing.length} deliveries missing` } : {}),
    published: msgs.length,
    expected: pairs.length,
    delivered: pairs.length - missing.length,
    fullDeliveryMs: stats(fullDelivery(ctx, msgs, pairs)),
    figures: { ...(extra.figures ?? {}), ...hopFigures(ctx, pairs) },
    missing: missing.slice(0, 40),
    from,
    to: Date.now(),
  };
}

/**
 * Waits until one probe message published from a random node reaches every node, publishing a
 * new probe every `everyMs` until `deadlineMs`. Returns ms until convergence, or null. With
 * `detectSelf`, also learns whether origins report their own messages (sets ctx.originReports).
 */
export async function converge(
  ctx: Ctx,
  tag: string,
  deadlineMs: number,
  detectSelf = false,
  everyMs = 8000,
): Promise<number | null> {
  const started = Date.now();
  const until = started + deadlineMs * ctx.deadlineScale;
  const probes: Published[] = [];
  // Without the origin: the origin's own report is checked separately (detectSelf).
  const others = (m: Published): Pair[] =>
    pairsOf(ctx.nodes.filter((n) => n.name !== m.origin), [m.data]);
  const reached = (m: Published): number => others(m).length - ctx.ledger.missing(others(m)).length;
  const complete = (m: Published): boolean =>
    ctx.ledger.missing(others(m)).length === 0 &&
    (!ctx.originReports || detectSelf || ctx.ledger.get(m.origin, m.data) !== undefined);
  const done = (): Published | undefined => probes.find(complete);
  while (Date.now() < until && !ctx.stopped()) {
    probes.push(await publish(ctx, tag, pick(ctx, ctx.nodes), `${tag}-${probes.length + 1}`));
    const label = `${tag}: probe ${probes.length}, nodes reached (best probe)`;
    const want = probes.flatMap(others);
    await ctx.ledger.waitFor(
      ctx.nodes,
      want,
      Math.max(0, Math.min(everyMs, until - Date.now())),
      () => ctx.progress(label, 1 + Math.max(...probes.map(reached)), ctx.nodes.length),
      () => done() !== undefined || ctx.stopped(),
    );
    const hit = done();
    if (!hit) await failIfExited(ctx);
    if (hit) {
      if (detectSelf) ctx.originReports = ctx.ledger.get(hit.origin, hit.data) !== undefined;
      return Date.now() - started;
    }
  }
  return null;
}

/** Median and max hop count of the deliveries behind `pairs`. */
function hopFigures(
  ctx: Ctx,
  pairs: Pair[],
): { hopsMedian: number | null; hopsMax: number | null } {
  const hops = pairs.map((p) => ctx.ledger.get(p.node, p.data)?.hops ?? -1).filter((h) => h >= 0)
    .sort((a, b) => a - b);
  if (hops.length === 0) return { hopsMedian: null, hopsMax: null };
  return { hopsMedian: hops[Math.floor(hops.length / 2)]!, hopsMax: hops[hops.length - 1]! };
}

/** Throws with the last log lines of a node that exited on its own (a crash of the CLI). */
async function failIfExited(ctx: Ctx): Promise<void> {
  const error = await exitedNodes(ctx.project);
  if (error) throw error;
}

/** An error naming the node containers that are not running, with the first one's last lines. */
export async function exitedNodes(project: ComposeProject): Promise<Error | undefined> {
  const dead = (await project.nodes()).filter((n) => !n.running);
  if (dead.length === 0) return undefined;
  const first = dead[0]!.name;
  const r = await run(["docker", "logs", "--tail", "8", first]);
  return new Error(
    `${dead.length} node(s) exited by themselves (${dead.map((n) => n.label).join(" ")}); ` +
      `last lines of ${first}:\n${(r.stdout + r.stderr).trim()}`,
  );
}
