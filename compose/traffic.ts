/**
 * Sizing figures for docs/OPERATIONS.md, measured on the container rig: each node's resident
 * memory, and the datagrams it sends per second when idle and per published message.
 *
 * Starts N nodes (compose, `--metrics 0.0.0.0:9464` on each), waits until a probe reaches every
 * node, lets the cluster settle, then reads every node's `/metrics` and the RSS of its deno
 * process three times: before and after an idle window, and after publishing M messages from
 * random nodes (once all are delivered everywhere). Prints the figures and one JSON line, writes
 * compose/out/traffic.json, and always tears the cluster down.
 *
 * ```sh
 * deno run --allow-run=docker,docker-compose,deno,compose/build_base_offline.sh --allow-read=. \
 *   --allow-write=compose/out,compose/image,/tmp compose/traffic.ts --nodes 24 --idle 60 --messages 50
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { median } from "../lib/sim/percentile.ts";
import { ComposeProject, detectCompose, exec, mapLimit, type NodeInfo } from "./docker.ts";
import { ensureImage } from "./image.ts";
import { Ledger, pairsOf } from "./ledger.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "24" },
    idle: { type: "string", default: "60" },
    messages: { type: "string", default: "50" },
    settle: { type: "string", default: "30" },
    image: { type: "string", default: "starling-node:dev" },
    "base-image": { type: "string", default: "" },
    project: { type: "string", default: "starling-traffic" },
    out: { type: "string", default: "compose/out/traffic.json" },
  },
});
const nodeCount = Number(flags.nodes);
const idleS = Number(flags.idle);
const messages = Number(flags.messages);
const settleS = Number(flags.settle);
const encoder = new TextEncoder();
const started = Date.now();
function say(line: string): void {
  const at = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  Deno.stdout.writeSync(encoder.encode(`[${at}s] ${line}\n`));
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** One node's reading: its metric samples (name with labels -> value) and its RSS in bytes. */
interface Reading {
  metrics: Map<string, number>;
  rss: number;
}

// RSS of the node's deno process (the one running cli.ts), then its /metrics text.
const READ = `for p in /proc/[0-9]*; do
  if tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q 'cli.ts'; then
    sed -n 's/^VmRSS:[^0-9]*\\([0-9]*\\) kB/rss \\1/p' $p/status; fi
done
deno eval --quiet 'console.log(await (await fetch("http://127.0.0.1:9464/metrics")).text())'`;

async function read(node: NodeInfo): Promise<Reading> {
  const r = await exec(node.name, READ);
  if (r.code !== 0) throw new Error(`reading ${node.name} failed: ${r.stderr.trim()}`);
  const metrics = new Map<string, number>();
  let rss = NaN;
  for (const line of r.stdout.split("\n")) {
    if (line.startsWith("rss ")) rss = Number(line.slice(4)) * 1024;
    else if (line !== "" && !line.startsWith("#")) {
      const space = line.lastIndexOf(" ");
      metrics.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
  }
  return { metrics, rss };
}

async function readAll(nodes: NodeInfo[]): Promise<Reading[]> {
  return await mapLimit(nodes, 4, read);
}

/** Sum over nodes of metric `name` (all label sets) in `b` minus `a`. */
function delta(a: Reading[], b: Reading[], name: string): number {
  const sum = (readings: Reading[]) =>
    readings.reduce((total, reading) => {
      for (const [key, value] of reading.metrics) {
        if (key === name || key.startsWith(`${name}{`)) total += value;
      }
      return total;
    }, 0);
  return sum(b) - sum(a);
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20 * 10) / 10;

let project: ComposeProject | undefined;
let code = 0;
try {
  const image = await ensureImage({
    root,
    image: flags.image,
    ...(flags["base-image"] ? { baseImage: flags["base-image"] } : {}),
    rebuild: false,
    say,
  });
  project = new ComposeProject(
    await detectCompose(),
    `${root}/compose/docker-compose.yml`,
    flags.project,
    {
      STARLING_IMAGE: flags.image,
      STARLING_NODES: String(nodeCount),
      STARLING_BASE_IMAGE: image.base,
      STARLING_ARGS: "--metrics 0.0.0.0:9464",
    },
  );
  await project.down();
  await project.up(nodeCount);
  let nodes: NodeInfo[] = [];
  for (let i = 0; i < 240; i++) {
    nodes = await project.nodes();
    if (nodes.length === nodeCount && nodes.every((n) => n.running && n.ip !== "")) break;
    await sleep(500);
  }
  say(`${nodes.filter((n) => n.running).length}/${nodeCount} nodes running`);
  const ledger = new Ledger();
  // Converged once one probe is in every node's log but its publisher's.
  for (let probe = 1;; probe++) {
    if (probe > 30) throw new Error("the cluster did not converge");
    const from = nodes[probe % nodes.length]!;
    await exec(from.name, `echo warm-${probe} > /tmp/in`);
    const others = nodes.filter((n) => n !== from);
    const missing = await ledger.waitFor(others, pairsOf(others, [`warm-${probe}`]), 5000);
    if (missing.length === 0) break;
  }
  say(`converged; settling ${settleS}s`);
  await sleep(settleS * 1000);
  const a = await readAll(nodes);
  const idleStart = Date.now();
  await sleep(idleS * 1000);
  const b = await readAll(nodes);
  const idleMs = Date.now() - idleStart;
  say(`idle window ${(idleMs / 1000).toFixed(1)}s read; publishing ${messages} messages`);
  const texts = Array.from({ length: messages }, (_, i) => `traffic-${i + 1}`);
  const publishStart = Date.now();
  const origins = new Map<string, string>();
  for (const [i, text] of texts.entries()) {
    const from = nodes[(i * 7) % nodes.length]!;
    origins.set(text, from.name);
    await exec(from.name, `echo ${text} > /tmp/in`);
  }
  const pairs = pairsOf(nodes, texts).filter((p) => origins.get(p.data) !== p.node);
  const missing = await ledger.waitFor(nodes, pairs, 120_000);
  if (missing.length > 0) throw new Error(`${missing.length} deliveries missing`);
  // Let acknowledgements, lazy IHAVEs and grafts of the last messages finish.
  await sleep(5000);
  const c = await readAll(nodes);
  const busyMs = Date.now() - publishStart;
  const n = nodes.length;
  const idleRate = delta(a, b, "starling_datagrams_out_total") / n / (idleMs / 1000);
  const idleBytesRate = delta(a, b, "starling_bytes_out_total") / n / (idleMs / 1000);
  // The busy window also carries idle traffic: take it out before dividing by the messages.
  const busyOut = delta(b, c, "starling_datagrams_out_total") - idleRate * n * (busyMs / 1000);
  const figures = {
    nodes: n,
    idle_s: Math.round(idleMs / 100) / 10,
    messages,
    rss_idle_median_mib: mib(median(b.map((r) => r.rss))),
    rss_idle_max_mib: mib(Math.max(...b.map((r) => r.rss))),
    rss_after_median_mib: mib(median(c.map((r) => r.rss))),
    idle_datagrams_per_s_per_node: Math.round(idleRate * 100) / 100,
    idle_bytes_per_s_per_node: Math.round(idleBytesRate),
    datagrams_per_message_per_node: Math.round(busyOut / messages / n * 100) / 100,
    payload_copies_per_message_per_node: Math.round(
      delta(b, c, "starling_payloads_out_total") / messages / n * 100,
    ) / 100,
    dropped_total: delta(a, c, "starling_dropped_total"),
    // What the idle traffic is made of: frames received per second per node, by frame type.
    idle_frames_per_s_per_node_by_type: Object.fromEntries(
      [...(b[0]?.metrics.keys() ?? [])]
        .filter((key) => key.startsWith("starling_frames_in_total{"))
        .map((key) => [
          /type="([^"]*)"/.exec(key)?.[1] ?? key,
          Math.round(delta(a, b, key) / n / (idleMs / 1000) * 100) / 100,
        ]),
    ),
  };
  for (const [key, value] of Object.entries(figures)) {
    say(`${key.padEnd(38)} ${typeof value === "object" ? JSON.stringify(value) : value}`);
  }
  await Deno.mkdir(`${root}/compose/out`, { recursive: true });
  await Deno.writeTextFile(`${root}/${flags.out}`, JSON.stringify(figures, null, 2) + "\n");
  Deno.stdout.writeSync(encoder.encode(JSON.stringify(figures) + "\n"));
} catch (error) {
  say(`failed: ${error instanceof Error ? error.message : String(error)}`);
  code = 1;
} finally {
  if (project) await project.down();
  say("torn down");
}
Deno.exit(code);
