/**
 * `deno task cluster`: runs the starling node on a cluster of containers and checks, phase by
 * phase and from every node's own account, that published messages reach every live node under
 * partitions, packet loss and crashes. Writes a JSON report and an SVG timeline, prints a table,
 * exits non-zero if any message is missing from any live node, and always tears the cluster down
 * (also on Ctrl-C) unless --keep is given.
 *
 * ```sh
 * deno task cluster --nodes 24 --messages 10 --report compose/out
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ComposeProject, detectCompose, type NodeInfo } from "./docker.ts";
import { detectCapabilities, Faults } from "./faults.ts";
import { ensureImage } from "./image.ts";
import { Ledger } from "./ledger.ts";
import { summaryTable, writeReport } from "./report.ts";
import {
  phaseBaseline,
  phaseCrash,
  phaseDelay,
  phaseLoss,
  phaseOneWay,
  phasePartition,
} from "./phases.ts";
import { converge, type Ctx, exitedNodes, type PhaseResult } from "./scenario.ts";

const USAGE = `usage: deno task cluster [flags]
  --nodes N           containers to run (default 24)
  --messages N        messages published per phase (default 10)
  --phases LIST       comma list of base,part,oneway,loss,crash,delay
                      (default base,part,loss,crash,delay; delay needs netem)
  --loss P            packet loss percent in the loss phase (default 25)
  --crash F           fraction of nodes killed in the crash phase (default 0.3)
  --report DIR        where report.json and timeline.svg go (default compose/out)
  --image TAG         node image tag (default starling-node:dev)
  --base-image TAG    base image (default: denoland/deno:2.9.6 if present or pullable,
                      else starling-base:2.9.6 built offline)
  --rebuild           rebuild the node image even if the sources did not change
  --project NAME      compose project name (default starling)
  --seed N            seed for picking publishers, partition sides and victims (default 1)
  --deadline-scale X  multiply every wait deadline (slow machines; default 1)
  --keep              leave the cluster running at the end
`;

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "24" },
    messages: { type: "string", default: "10" },
    phases: { type: "string", default: "base,part,loss,crash,delay" },
    loss: { type: "string", default: "25" },
    crash: { type: "string", default: "0.3" },
    report: { type: "string", default: "" },
    image: { type: "string", default: "starling-node:dev" },
    "base-image": { type: "string", default: "" },
    rebuild: { type: "boolean", default: false },
    project: { type: "string", default: "starling" },
    seed: { type: "string", default: "1" },
    "deadline-scale": { type: "string", default: "1" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
const encoder = new TextEncoder();
/** One line to stdout (the lint rule forbids console). */
function out(line: string): void {
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
}
if (flags.help) {
  out(USAGE);
  Deno.exit(0);
}

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const nodeCount = Number(flags.nodes);
const messages = Number(flags.messages);
const phaseKeys = flags.phases.split(",").map((s) => s.trim()).filter((s) => s !== "");
const reportDir = flags.report || `${root}/compose/out`;
for (const [name, v] of [["nodes", nodeCount], ["messages", messages]] as const) {
  if (!Number.isInteger(v) || v < (name === "nodes" ? 2 : 1)) {
    Deno.stderr.writeSync(
      encoder.encode(`cluster: --${name} must be a positive integer (nodes >= 2)\n${USAGE}`),
    );
    Deno.exit(2);
  }
}

/** Deterministic PRNG (mulberry32) so a run can be repeated with --seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const runStarted = Date.now();
const elapsed = (): string => `${((Date.now() - runStarted) / 1000).toFixed(1).padStart(6)}s`;
const tty = Deno.stdout.isTerminal();
let lastProgress = "";
let lastProgressAt = 0;
function say(line: string): void {
  if (tty && lastProgress) Deno.stdout.writeSync(encoder.encode("\r\x1b[K"));
  lastProgress = "";
  out(`[${elapsed()}] ${line}`);
}
function progress(label: string, have: number, want: number): void {
  const text = `[${elapsed()}] ${label}: ${have}/${want}`;
  if (tty) {
    Deno.stdout.writeSync(encoder.encode(`\r\x1b[K${text}`));
    lastProgress = text;
  } else if (label !== lastProgress || Date.now() - lastProgressAt > 5000) {
    out(text);
    lastProgress = label;
    lastProgressAt = Date.now();
  }
}

// ---- interruption: Ctrl-C stops the phases and tears down; a second Ctrl-C or 30 s forces it.
let stopping = false;
let tornDown = false;
let project: ComposeProject | undefined;
async function teardown(): Promise<void> {
  if (tornDown || !project) return;
  tornDown = true;
  const t = Date.now();
  say(`tearing down project '${project.project}' ...`);
  await project.down();
  say(`torn down in ${((Date.now() - t) / 1000).toFixed(1)}s`);
}
function onSignal(): void {
  if (stopping) {
    teardown().finally(() => Deno.exit(130));
    return;
  }
  stopping = true;
  say("interrupted: stopping the scenario and tearing down (Ctrl-C again to force)");
  setTimeout(() => teardown().finally(() => Deno.exit(130)), 30_000);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, onSignal);

const results: PhaseResult[] = [];
const timings: Record<string, number | null> = {};
let ctx: Ctx | undefined;
let base = "";
let convergeMs: number | null = null;
let clusterStart = 0;
let setupError = "";

try {
  const compose = await detectCompose();
  say(`compose: ${compose.join(" ")}; nodes ${nodeCount}; ${messages} messages per phase`);
  let t = Date.now();
  const img = await ensureImage({
    root,
    image: flags.image,
    ...(flags["base-image"] ? { baseImage: flags["base-image"] } : {}),
    rebuild: flags.rebuild,
    say,
  });
  base = img.base;
  timings.imageMs = Date.now() - t;
  project = new ComposeProject(compose, `${root}/compose/docker-compose.yml`, flags.project, {
    STARLING_IMAGE: flags.image,
    STARLING_NODES: String(nodeCount),
    STARLING_BASE_IMAGE: base,
  });
  await project.down(); // leftovers of an earlier run
  if (stopping) throw new Error("interrupted");
  t = Date.now();
  say(`starting ${nodeCount} containers ...`);
  clusterStart = Date.now();
  await project.up(nodeCount);
  let nodes: NodeInfo[] = [];
  for (const until = Date.now() + 120_000; Date.now() < until && !stopping;) {
    nodes = await project.nodes();
    const running = nodes.filter((n) => n.running).length;
    progress("containers running", running, nodeCount);
    if (running === nodeCount && nodes.every((n) => n.ip !== "")) break;
    // `up -d` returned, so every container was started: one that is not running has exited.
    if (nodes.length === nodeCount && running < nodeCount) {
      throw (await exitedNodes(project)) ?? new Error("containers stopped");
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  timings.upMs = Date.now() - t;
  if (nodes.filter((n) => n.running).length !== nodeCount) {
    throw new Error(`only ${nodes.filter((n) => n.running).length}/${nodeCount} containers run`);
  }
  const caps = await detectCapabilities(nodes[0]!.name);
  say(`fault injection: netem ${caps.netem ? "yes" : "no (loss via nftables)"}, nft ${caps.nft}`);
  if (!caps.nft) throw new Error("nftables does not work in the containers (NET_ADMIN?)");
  ctx = {
    project,
    ledger: new Ledger(),
    faults: new Faults(caps),
    messages,
    random: mulberry32(Number(flags.seed)),
    nodes,
    originReports: true,
    published: [],
    windows: [],
    deadlineScale: Number(flags["deadline-scale"]) || 1,
    say,
    progress,
    stopped: () => stopping,
  };
  t = Date.now();
  convergeMs = await converge(ctx, "warm", 180_000, true);
  timings.convergeMs = convergeMs;
  if (convergeMs === null) throw new Error("the cluster did not converge within 180 s");
  say(
    `converged in ${(convergeMs / 1000).toFixed(1)}s after start of convergence ` +
      `(${((Date.now() - clusterStart) / 1000).toFixed(1)}s after 'up'); origins ` +
      (ctx.originReports ? "report" : "do not report") + " their own messages",
  );
  const phases: Record<string, (c: Ctx) => Promise<PhaseResult>> = {
    base: phaseBaseline,
    part: phasePartition,
    loss: (c) => phaseLoss(c, Number(flags.loss)),
    crash: (c) => phaseCrash(c, Number(flags.crash)),
    delay: (c) => phaseDelay(c),
    oneway: phaseOneWay,
  };
  for (const key of phaseKeys) {
    const phase = phases[key];
    if (!phase) throw new Error(`unknown phase '${key}' (base, part, oneway, loss, crash, delay)`);
    if (stopping) break;
    if (key === "delay" && !caps.netem) {
      const now = Date.now();
      results.push({
        key,
        title: "delay+jitter",
        status: "skipped",
        reason: "the kernel has no netem (tc qdisc netem: unknown qdisc)",
        published: 0,
        expected: 0,
        delivered: 0,
        fullDeliveryMs: null,
        figures: {},
        missing: [],
        from: now,
        to: now,
      });
      say("phase delay: skipped (no netem on this kernel)");
      continue;
    }
    say(`phase ${key}: start`);
    const started = Date.now();
    try {
      results.push(await phase(ctx));
    } catch (error) {
      results.push({
        key,
        title: key,
        status: "failed",
        reason: `error: ${error instanceof Error ? error.message : String(error)}`,
        published: 0,
        expected: 0,
        delivered: 0,
        fullDeliveryMs: null,
        figures: {},
        missing: [],
        from: started,
        to: Date.now(),
      });
      await ctx.faults.heal().catch(() => {});
    }
    const r = results[results.length - 1]!;
    say(`phase ${key}: ${r.status}${r.reason ? ` (${r.reason})` : ""}`);
  }
} catch (error) {
  setupError = error instanceof Error ? error.message : String(error);
  say(`setup failed: ${setupError}`);
} finally {
  const end = Date.now();
  if (ctx) {
    try {
      await ctx.ledger.refresh(await ctx.project.nodes());
    } catch { /* report what we have */ }
  }
  try {
    const nodes = ctx ? await ctx.project.nodes().catch(() => ctx!.nodes) : [];
    const paths = await writeReport(reportDir, {
      startedAt: runStarted,
      clusterStart: clusterStart || runStarted,
      end,
      config: {
        nodes: nodeCount,
        messages,
        phases: phaseKeys,
        loss: Number(flags.loss),
        crash: Number(flags.crash),
        seed: Number(flags.seed),
      },
      image: flags.image,
      baseImage: base,
      convergeMs,
      timings,
      error: setupError || null,
      interrupted: stopping,
      results,
      nodes,
      ...(ctx ? { ctx } : {}),
    });
    say(`report: ${paths.join(", ")}`);
  } catch (error) {
    say(`could not write the report: ${error}`);
  }
  if (flags.keep) say(`--keep: cluster '${flags.project}' left running`);
  else {
    const t = Date.now();
    await teardown().catch((e) => say(`teardown failed: ${e}`));
    timings.teardownMs = Date.now() - t;
  }
}

const counted = results.filter((r) => r.status !== "skipped");
const passed = counted.filter((r) => r.status === "passed").length;
let failed = counted.length - passed;
if (setupError || stopping) {
  // Phases that never ran count as failed: the run proved nothing about them.
  const ran = new Set(results.map((r) => r.key));
  const missed = phaseKeys.filter((k) => !ran.has(k) && k !== "delay").length;
  failed += Math.max(missed, passed + failed === 0 ? 1 : 0);
}
for (const line of summaryTable(results)) out(line);
if (ctx) {
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  out(
    `duplicate deliveries within one process: ${sum(ctx.ledger.duplicates)}; ` +
      `old messages delivered again by restarted processes: ${sum(ctx.ledger.redelivered)}`,
  );
}
out(`total ${((Date.now() - runStarted) / 1000).toFixed(1)}s`);
out(`cluster: ${passed} passed, ${failed} failed`);
Deno.exit(stopping ? 130 : failed > 0 ? 1 : 0);
