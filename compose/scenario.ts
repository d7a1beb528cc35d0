/**
 * The cluster scenario: convergence, then phases that each publish messages under a fault and
 * verify, from every node's own account, what it delivered.
 *
 * @module
 */

import { type ComposeProject, exec, mapLimit, type NodeInfo } from "./docker.ts";
import { type Faults, kill, restart } from "./faults.ts";
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
  project: ComposeProject;
  ledger: Ledger;
  faults: Faults;
  /** Messages per phase. */
  messages: number;
  /** Seeded random in [0, 1). */
  random: () => number;
  /** Current nodes (refreshed after restarts). */
  nodes: NodeInfo[];
  /** Whether a node reports its own published messages in its account. */
  originReports: boolean;
  published: Published[];
  windows: FaultWindow[];
  /** Multiplies every deadline (slow machines). */
  deadlineScale: number;
  say(line: string): void;
  progress(label: string, have: number, want: number): void;
  stopped(): boolean;
}

const pick = <T>(ctx: Ctx, items: readonly T[]): T =>
  items[Math.floor(ctx.random() * items.length)] as T;

function shuffle<T>(ctx: Ctx, items: readonly T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(ctx.random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/** Publishes one message through the node's stdin FIFO. */
export async function publish(ctx: Ctx, phase: string, node: NodeInfo, data: string) {
  const at = Date.now();
  const r = await exec(node.name, `printf '%s\\n' '${data}' > /tmp/in`);
  if (r.code !== 0) throw new Error(`publish on ${node.name} failed: ${r.stderr.trim()}`);
  const p = { data, phase, origin: node.name, at };
  ctx.published.push(p);
  return p;
}

/** Publishes `count` messages `m-<phase>-<n>` from random nodes of `from`. */
async function publishMany(
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
function expect(ctx: Ctx, nodes: NodeInfo[], msgs: Published[]): Pair[] {
  return pairsOf(nodes, msgs.map((m) => m.data)).filter((p) =>
    ctx.originReports || !msgs.some((m) => m.data === p.data && m.origin === p.node)
  );
}

async function waitPairs(ctx: Ctx, label: string, nodes: NodeInfo[], pairs: Pair[], ms: number) {
  return await ctx.ledger.waitFor(
    nodes,
    pairs,
    ms * ctx.deadlineScale,
    (have, want) => ctx.progress(label, have, want),
    ctx.stopped,
  );
}

/** Per message: time from publish until the last of its expected pairs was delivered. */
function fullDelivery(ctx: Ctx, msgs: Published[], pairs: Pair[]): number[] {
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

function stats(values: number[]): { median: number; max: number } | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median: Math.round(median), max: Math.round(s[s.length - 1]!) };
}

function result(
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
    figures: extra.figures ?? {},
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
    if (hit) {
      if (detectSelf) ctx.originReports = ctx.ledger.get(hit.origin, hit.data) !== undefined;
      return Date.now() - started;
    }
  }
  return null;
}

/** (a) Baseline: messages from random nodes reach every node. */
export async function phaseBaseline(ctx: Ctx): Promise<PhaseResult> {
  const from = Date.now();
  const msgs = await publishMany(ctx, "base", ctx.nodes, ctx.messages);
  const pairs = expect(ctx, ctx.nodes, msgs);
  await waitPairs(ctx, "baseline", ctx.nodes, pairs, 60_000);
  return result(ctx, "base", "baseline", from, msgs, pairs);
}

/** (b) Two halves that cannot reach each other; each gets only its own; after heal, all. */
export async function phasePartition(ctx: Ctx): Promise<PhaseResult> {
  const from = Date.now();
  const nodes = shuffle(ctx, ctx.nodes);
  const a = nodes.slice(0, Math.floor(nodes.length / 2));
  const b = nodes.slice(a.length);
  await ctx.faults.partition([a, b]);
  const window: FaultWindow = { label: "partition 2 halves", from: Date.now() };
  ctx.windows.push(window);
  const half = Math.max(1, Math.ceil(ctx.messages / 2));
  const msgsA = await publishMany(ctx, "part", a, half, "A");
  const msgsB = await publishMany(ctx, "part", b, half, "B");
  const own = expect(ctx, a, msgsA).concat(expect(ctx, b, msgsB));
  await waitPairs(ctx, "partition: own side", ctx.nodes, own, 60_000);
  const ownMissing = ctx.ledger.missing(own).length;
  const leaks = pairsOf(a, msgsB.map((m) => m.data)).concat(pairsOf(b, msgsA.map((m) => m.data)))
    .filter((p) => ctx.ledger.get(p.node, p.data)).length;
  const sideMs = stats(fullDelivery(ctx, msgsA, own).concat(fullDelivery(ctx, msgsB, own)));
  await ctx.faults.heal(ctx.nodes);
  const healedAt = Date.now();
  window.to = healedAt;
  const all = expect(ctx, ctx.nodes, msgsA.concat(msgsB));
  await waitPairs(ctx, "partition: after heal", ctx.nodes, all, 120_000);
  let healToFull: number | null = null;
  if (ctx.ledger.missing(all).length === 0) {
    healToFull = Math.max(
      0,
      ...all.map((p) => ctx.ledger.get(p.node, p.data)!.at - healedAt),
    );
  }
  const failed = leaks > 0 || ownMissing > 0;
  return result(ctx, "part", "partition + heal", from, msgsA.concat(msgsB), all, {
    ...(failed
      ? {
        status: "failed",
        reason: leaks > 0
          ? `${leaks} deliveries crossed the partition`
          : `${ownMissing} own-side deliveries missing during the partition`,
      }
      : {}),
    figures: {
      sideA: a.length,
      sideB: b.length,
      ownSideMissing: ownMissing,
      leaks,
      ownSideMedianMs: sideMs?.median ?? null,
      healToFullMs: healToFull,
    },
  });
}

/** (c) Every node loses `percent` % of its packets. */
export async function phaseLoss(ctx: Ctx, percent = 25): Promise<PhaseResult> {
  const from = Date.now();
  await ctx.faults.loss(ctx.nodes, percent);
  const window: FaultWindow = {
    label: `loss ${percent}% (${ctx.faults.lossMethod})`,
    from: Date.now(),
  };
  ctx.windows.push(window);
  const msgs = await publishMany(ctx, "loss", ctx.nodes, ctx.messages);
  const pairs = expect(ctx, ctx.nodes, msgs);
  await waitPairs(ctx, `loss ${percent}%`, ctx.nodes, pairs, 120_000);
  await ctx.faults.heal(ctx.nodes);
  window.to = Date.now();
  return result(ctx, "loss", `loss ${percent}%`, from, msgs, pairs, {
    figures: { lossPercent: percent, method: ctx.faults.lossMethod },
  });
}

/** (e) Delay and jitter on every node (netem only). */
export async function phaseDelay(ctx: Ctx, ms = 100, jitter = 50): Promise<PhaseResult> {
  const from = Date.now();
  await ctx.faults.delay(ctx.nodes, ms, jitter);
  const window: FaultWindow = { label: `delay ${ms}±${jitter} ms`, from: Date.now() };
  ctx.windows.push(window);
  const msgs = await publishMany(ctx, "delay", ctx.nodes, ctx.messages);
  const pairs = expect(ctx, ctx.nodes, msgs);
  await waitPairs(ctx, "delay", ctx.nodes, pairs, 120_000);
  await ctx.faults.heal(ctx.nodes);
  window.to = Date.now();
  return result(ctx, "delay", `delay ${ms}±${jitter} ms`, from, msgs, pairs, {
    figures: { delayMs: ms, jitterMs: jitter },
  });
}

/** (d) Crash 30 % of the nodes, publish to the survivors; restart, rejoin, publish again. */
export async function phaseCrash(ctx: Ctx, fraction = 0.3): Promise<PhaseResult> {
  const from = Date.now();
  const victims = shuffle(ctx, ctx.nodes).slice(0, Math.round(ctx.nodes.length * fraction));
  const survivors = ctx.nodes.filter((n) => !victims.includes(n));
  await kill(victims);
  ctx.faults.forget(victims);
  const down: FaultWindow = {
    label: `crash ${victims.length}`,
    from: Date.now(),
    nodes: victims.map((v) => v.name),
  };
  ctx.windows.push(down);
  const msgs1 = await publishMany(ctx, "crash", survivors, ctx.messages, "S");
  const pairs1 = expect(ctx, survivors, msgs1);
  await waitPairs(ctx, `crash: ${survivors.length} survivors`, survivors, pairs1, 60_000);
  const survivorMissing = ctx.ledger.missing(pairs1).length;

  const restartedAt = Date.now();
  down.to = restartedAt; // the first victim is up before `docker start` returns for the last
  await restart(victims);
  ctx.nodes = await ctx.project.nodes();
  const rejoined = await converge(ctx, "rejoin", 120_000);
  const rejoinMs = rejoined === null ? null : Date.now() - restartedAt;
  const msgs2 = await publishMany(ctx, "crash", ctx.nodes, ctx.messages, "R");
  const pairs2 = expect(ctx, ctx.nodes, msgs2);
  await waitPairs(ctx, "crash: after restart", ctx.nodes, pairs2, 60_000);
  const restartedNames = new Set(victims.map((v) => v.name));
  const rejoinedMissing = ctx.ledger.missing(pairs2).filter((p) => restartedNames.has(p.node));
  return result(
    ctx,
    "crash",
    `crash ${victims.length} + restart`,
    from,
    msgs1.concat(msgs2),
    pairs1.concat(pairs2),
    {
      figures: {
        killed: victims.length,
        survivorMissing,
        restartToRejoinMs: rejoinMs,
        restartedMissingNew: rejoinedMissing.length,
        restartedAt: new Date(restartedAt).toISOString(),
      },
    },
  );
}
