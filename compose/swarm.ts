/**
 * The Swarm phase of the rig: deploys compose/docker-compose.yml as a Docker Swarm stack on an
 * overlay network (a one-node swarm it initialises itself) and checks, from `docker service
 * logs`, that a message published in one task reaches every other task. It always removes the
 * stack and leaves the swarm again — also when a step fails or the run is interrupted — and then
 * checks that no service, container, network or swarm is left. Prints one clear skip line where
 * the engine cannot run a swarm.
 *
 * ```sh
 * deno run --allow-run=docker,deno,compose/build_base_offline.sh --allow-read=. \
 *   --allow-write=compose/image,/tmp compose/swarm.ts --nodes 8 --prove-cleanup
 * ```
 *
 * The last line is `swarm: passed …`, `swarm: failed …` or `swarm: skipped …`; the exit code is
 * 0 for passed or skipped, 1 for failed, 130 when interrupted.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { exec } from "./docker.ts";
import { ensureImage } from "./image.ts";
import { missingTasks, parseServiceLogs, type TaskAccount } from "./swarm_logs.ts";
import { firstLine, SwarmStack, swarmState, waitUntil } from "./swarm_stack.ts";

const USAGE = `usage: deno run ... compose/swarm.ts [flags]
  --nodes N           tasks (replicas) to deploy (default 8)
  --image TAG         node image (default starling-node:dev; built like the compose rig builds it)
  --base-image TAG    base image of the node image (default: chosen like the compose rig does)
  --stack NAME        stack name (default starling-swarm)
  --fail-at STAGE     inject a failure after 'deployed' or 'running' (proves the cleanup)
  --prove-cleanup     first run once with --fail-at deployed and check that nothing is left,
                      then run the real check
  --deadline-scale X  multiply every wait deadline (default 1)
`;

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "8" },
    image: { type: "string", default: "starling-node:dev" },
    "base-image": { type: "string", default: "" },
    stack: { type: "string", default: "starling-swarm" },
    "fail-at": { type: "string", default: "" },
    "prove-cleanup": { type: "boolean", default: false },
    "deadline-scale": { type: "string", default: "1" },
    help: { type: "boolean", short: "h", default: false },
  },
});

const encoder = new TextEncoder();
const started = Date.now();
/** One line to stdout (the lint rule forbids console). */
function say(line: string): void {
  const at = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  Deno.stdout.writeSync(encoder.encode(`[${at}s] ${line}\n`));
}
function out(line: string): void {
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
}
if (flags.help) {
  out(USAGE);
  Deno.exit(0);
}
const nodes = Number(flags.nodes);
const scale = Number(flags["deadline-scale"]) || 1;
const failAt = flags["fail-at"];
if (!Number.isInteger(nodes) || nodes < 2 || !["", "deployed", "running"].includes(failAt)) {
  Deno.stderr.writeSync(encoder.encode(`swarm: bad flags (nodes >= 2; fail-at)\n${USAGE}`));
  Deno.exit(2);
}
const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** Thrown by --fail-at: the failure the cleanup proof expects. */
class InjectedFailure extends Error {
  constructor(stage: string) {
    super(`injected failure after '${stage}'`);
  }
}

// ---- interruption: the current wait ends, the cleanup runs; a second signal exits at once.
let stopping = false;
function onSignal(): void {
  if (stopping) Deno.exit(130);
  stopping = true;
  say("interrupted: cleaning up (signal again to exit without cleanup)");
}
for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, onSignal);
function checkStopping(): void {
  if (stopping) throw new Error("interrupted");
}

/** Outcome of one deployment. */
interface Attempt {
  status: "passed" | "failed" | "skipped";
  reason: string;
  /** What cleanup could not remove (empty when clean). */
  left: string[];
  /** Figures of the delivery check. */
  figures: Record<string, number>;
}

async function attempt(stage: string): Promise<Attempt> {
  const before = await swarmState();
  const stack = new SwarmStack(flags.stack, `${root}/compose/docker-compose.yml`, before);
  say(
    `engine swarm state: ${before.state}${before.manager ? " (manager)" : ""}` +
      (before.ours ? ", left by an earlier run of the rig: it will be left" : ""),
  );
  const figures: Record<string, number> = {};
  let status: Attempt["status"] = "failed";
  let reason = "";
  let skip: string | undefined;
  try {
    skip = await stack.join();
    if (skip === undefined) {
      say(
        before.ours
          ? "reusing the swarm an earlier run left"
          : stack.initialised
          ? "initialised a one-node swarm"
          : "using the engine's swarm (it stays)",
      );
      let t = Date.now();
      await stack.deploy(flags.image, nodes);
      say(`deployed stack ${flags.stack}: ${nodes} tasks of ${flags.image} on an overlay network`);
      if (stage === "deployed") throw new InjectedFailure(stage);
      const running = await waitRunning(stack);
      figures.runningMs = Date.now() - t;
      say(`${running.size} tasks running after ${(figures.runningMs / 1000).toFixed(1)}s`);
      if (stage === "running") throw new InjectedFailure(stage);
      t = Date.now();
      figures.convergeMs = await converge(stack, running);
      figures.fullDeliveryMs = await deliverOnce(stack, running);
      status = "passed";
    }
  } catch (error) {
    reason = error instanceof Error ? error.message : String(error);
    say(`failed: ${reason}`);
  }
  // Whatever happened above (a failure, an interruption), undo it and check that it is undone.
  const t = Date.now();
  const left = await stack.cleanup(say).catch((e) => [`cleanup threw: ${e}`]);
  figures.cleanupMs = Date.now() - t;
  const seconds = (figures.cleanupMs / 1000).toFixed(1);
  say(
    left.length === 0
      ? `cleanup: no service, container, network or swarm left (${seconds}s)`
      : `cleanup: LEFT ${left.join(", ")}`,
  );
  if (skip !== undefined) return { status: "skipped", reason: skip, left, figures };
  if (left.length > 0) {
    status = "failed";
    reason = [reason, `left behind: ${left.join(", ")}`].filter((s) => s !== "").join("; ");
  }
  return { status, reason, left, figures };
}

/** Waits until every replica runs and has a local container; task id -> container id. */
async function waitRunning(stack: SwarmStack): Promise<Map<string, string>> {
  let last = "";
  let result = new Map<string, string>();
  const ok = await waitUntil(120_000 * scale, async () => {
    checkStopping();
    const tasks = await stack.tasks();
    const broken = tasks.find((task) => ["Rejected", "Failed"].includes(task.state));
    if (broken) throw new Error(`task ${broken.id} ${broken.state}: ${broken.error}`);
    const running = tasks.filter((task) => task.state === "Running");
    const containers = await stack.containers();
    last = `${running.length}/${nodes} running`;
    if (running.length !== nodes || !running.every((task) => containers.has(task.id))) {
      return false;
    }
    result = new Map(running.map((task) => [task.id, containers.get(task.id)!]));
    return true;
  });
  if (!ok) throw new Error(`tasks did not start within ${120 * scale}s (${last})`);
  return result;
}

/** Publishes `data` into the task's node through its stdin FIFO. */
async function publish(container: string, data: string): Promise<void> {
  const r = await exec(container, `printf '%s\\n' '${data}' > /tmp/in`);
  if (r.code !== 0) throw new Error(`publish in ${container} failed: ${firstLine(r)}`);
}

async function accounts(stack: SwarmStack): Promise<Map<string, TaskAccount>> {
  return parseServiceLogs(await stack.logs(), stack.service);
}

/**
 * Publishes probes from the tasks in turn, one every 3 s, until one probe is in every other
 * task's log: the overlay is up and the nodes found each other through `tasks`' DNS records.
 */
async function converge(stack: SwarmStack, running: Map<string, string>): Promise<number> {
  const t = Date.now();
  const ids = [...running.keys()];
  const probes: { data: string; origin: string }[] = [];
  let lastProbe = 0;
  let best = 0;
  const ok = await waitUntil(120_000 * scale, async () => {
    checkStopping();
    if (Date.now() - lastProbe >= 3000) {
      const origin = ids[probes.length % ids.length]!;
      const probe = { data: `swarm-warm-${probes.length + 1}`, origin };
      await publish(running.get(origin)!, probe.data);
      probes.push(probe);
      lastProbe = Date.now();
    }
    const tasks = await accounts(stack);
    for (const probe of probes) {
      const missing = missingTasks(tasks, ids, probe.data, probe.origin).length;
      best = Math.max(best, ids.length - 1 - missing);
      if (missing === 0) return true;
    }
    return false;
  });
  if (!ok) {
    throw new Error(
      `no probe reached all ${ids.length - 1} other tasks within ${120 * scale}s ` +
        `(best ${best}/${ids.length - 1})`,
    );
  }
  const ms = Date.now() - t;
  say(`converged: probe ${probes.length} reached every task after ${(ms / 1000).toFixed(1)}s`);
  return ms;
}

/** One message from one task must reach every other task; returns the time until it did. */
async function deliverOnce(stack: SwarmStack, running: Map<string, string>): Promise<number> {
  const ids = [...running.keys()];
  const origin = ids[Math.floor(ids.length / 2)]!;
  const data = `swarm-check-${Date.now().toString(36)}`;
  const t = Date.now();
  await publish(running.get(origin)!, data);
  let missing = ids.length - 1;
  const ok = await waitUntil(60_000 * scale, async () => {
    checkStopping();
    missing = missingTasks(await accounts(stack), ids, data, origin).length;
    return missing === 0;
  });
  const ms = Date.now() - t;
  if (!ok) {
    throw new Error(
      `'${data}' reached ${ids.length - 1 - missing}/${ids.length - 1} other tasks in ${
        60 * scale
      }s`,
    );
  }
  say(
    `'${data}' from task ${origin.slice(0, 12)} reached all ${ids.length - 1} others ` +
      `in ${ms} ms (read from docker service logs)`,
  );
  return ms;
}

let final: Attempt = { status: "failed", reason: "did not run", left: [], figures: {} };
try {
  const image = await ensureImage({
    root,
    image: flags.image,
    ...(flags["base-image"] ? { baseImage: flags["base-image"] } : {}),
    rebuild: false,
    say,
  });
  say(`node image ${flags.image} on ${image.base}`);
  let proven = true;
  if (flags["prove-cleanup"]) {
    say("cleanup proof: a deployment that fails right after 'docker stack deploy'");
    const proof = await attempt("deployed");
    proven = proof.status === "skipped" ||
      (proof.reason.startsWith("injected failure") && proof.left.length === 0);
    if (proof.status === "skipped") final = proof;
    else if (!proven) final = { ...proof, reason: `cleanup proof failed: ${proof.reason}` };
    else say("cleanup proof: passed");
  }
  if (proven && final.status !== "skipped" && !stopping) final = await attempt(failAt);
} catch (error) {
  final.reason = error instanceof Error ? error.message : String(error);
}
if (stopping && final.status === "passed") final = { ...final, status: "failed" };
const figures = Object.entries(final.figures).map(([k, v]) => `${k}=${v}`).join(" ");
say(`total ${((Date.now() - started) / 1000).toFixed(1)}s${figures ? `; ${figures}` : ""}`);
out(`swarm: ${final.status}${final.reason ? ` (${final.reason})` : ""}`);
Deno.exit(stopping ? 130 : final.status === "failed" ? 1 : 0);
