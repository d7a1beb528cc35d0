/**
 * Open-loop many-publisher benchmark on loopback: N real GossipNodes in this one process, every
 * node publishing an equal share of a total offered rate (100-byte payloads), for `--seconds` (5)
 * per rate. Open loop: message k is due at k / rate seconds and is published then, whether or not
 * earlier messages arrived (a late scheduler catches up, so an overloaded process shows as lost
 * or slow messages, not as a lower offered rate).
 *
 * Per rate: the fraction of messages that reached every other node within 2 s, p50/p99 time to
 * full delivery (publish → the last of the N − 1 others; a message that never got there counts
 * as infinitely late, so a p99 over a 1% loss reads "—"), and the cost per message, counted from
 * the first publish until every message arrived or ran out of time: datagrams sent by all nodes
 * (all traffic: payloads, IHAVE, ACK, digests, membership; the floor is N − 1), payload copies
 * received per node (floor 1) and frames received by type. The raw UDP ceiling with N sockets is measured in the same run.
 * The sweep stops after the first rate that reaches fewer than 95% of messages to every node.
 *
 * Run alone: `deno task bench:load [--nodes 32,100] [--rates 100,1000] [--seconds 5]
 * [--warmup 6] [--preset local|lan|default] [--docs]` (warm-up: seconds of publishing at the first
 * rate before the sweep, so the figures are of a settled cluster) — writes bench/out/load.{json,svg}, and with `--docs`
 * docs/load.{json,svg}.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { GossipNode } from "../lib/node/node.ts";
import type { GossipOptions } from "../lib/options.ts";
import { lanOptions, localOptions } from "../lib/presets.ts";
import type { MessageId } from "../lib/wire/message_id.ts";
import { percentile, round } from "./bench_stats.ts";
import { delay, finish, say } from "./harness.ts";
import { loadChart, type LoadFigures, type RateFigures } from "./load_chart.ts";

export type { LoadFigures, RateFigures } from "./load_chart.ts";
import { measureCeiling } from "./udp_ceiling.ts";

const PAYLOAD = 100;
const FULL_WITHIN_MS = 2000;

const PRESETS: Record<string, () => GossipOptions> = {
  local: localOptions,
  lan: lanOptions,
  default: () => ({}),
};

/** Default sweep for a cluster size: the targets sit at 1,000 msgs/s (32) and 100 (100). */
export function defaultRates(n: number): number[] {
  if (n <= 16) return [100, 250, 500, 1000, 2000, 5000, 10000];
  if (n <= 32) return [50, 100, 250, 500, 1000, 2000, 4000];
  if (n <= 64) return [25, 50, 100, 250, 500, 1000, 2000];
  return [25, 50, 100, 200, 400, 800];
}

interface Tracked {
  at: number;
  count: number;
  fullMs: number;
}

interface Totals {
  datagramsOut: number;
  datagramsIn: number;
  bytesOut: number;
  payloadsIn: number;
  frames: Record<string, number>;
  drops: Record<string, number>;
}

function totals(nodes: readonly GossipNode[]): Totals {
  const t: Totals = {
    datagramsOut: 0,
    datagramsIn: 0,
    bytesOut: 0,
    payloadsIn: 0,
    frames: {},
    drops: {},
  };
  for (const node of nodes) {
    const s = node.stats();
    const e = s.engine;
    t.datagramsOut += e.datagramsOut;
    t.datagramsIn += e.datagramsIn;
    t.bytesOut += e.bytesOut;
    t.payloadsIn += e.payloadsIn;
    for (const [k, v] of Object.entries(e.framesInByType)) t.frames[k] = (t.frames[k] ?? 0) + v;
    for (const [k, v] of Object.entries(e.dropped)) t.drops[k] = (t.drops[k] ?? 0) + v;
    if (s.transport.dropped) {
      t.drops.receive_queue = (t.drops.receive_queue ?? 0) + s.transport.dropped;
    }
    if (s.transport.sendErrors) {
      t.drops.send_errors = (t.drops.send_errors ?? 0) + s.transport.sendErrors;
    }
  }
  return t;
}

function diff(after: Record<string, number>, before: Record<string, number>, per: number) {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = round(d / per, 2);
  }
  return out;
}

/**
 * Datagrams the kernel dropped for full socket receive buffers, machine-wide (Linux
 * /proc/net/snmp, `RcvbufErrors`); undefined where it cannot be read. Loss that the nodes never
 * see: it shows up as grafts and repairs.
 */
function kernelReceiveDrops(): number | undefined {
  try {
    const lines = Deno.readTextFileSync("/proc/net/snmp").split("\n").filter((l) =>
      l.startsWith("Udp:")
    );
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    const at = names.indexOf("RcvbufErrors");
    return at > 0 ? Number(values[at]) : undefined;
  } catch {
    return undefined; // not Linux, or no --allow-read=/proc/net/snmp
  }
}

function loadAverage(): number | null {
  try {
    return Deno.loadavg()[0]!;
  } catch {
    return null; // needs --allow-sys=loadavg
  }
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Publishes `rate` messages a second for `seconds`, message k due at k / rate s (a late
 * scheduler catches up); returns the largest lag behind the schedule (ms).
 */
async function openLoop(
  rate: number,
  seconds: number,
  publish: (k: number) => void,
): Promise<number> {
  const t0 = performance.now();
  const total = Math.round(rate * seconds);
  let k = 0;
  let lag = 0;
  while (k < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000) + 1);
    if (k < due) lag = Math.max(lag, now - (t0 + (k * 1000) / rate));
    while (k < due) publish(k++);
    await delay(1);
  }
  return lag;
}

/** Starts `n` nodes, sweeps `rates` (stopping where delivery breaks), closes the nodes. */
export async function runLoad(
  n: number,
  rates: readonly number[],
  seconds = 5,
  preset = "local",
  warmupSeconds = 6,
  overrides: GossipOptions = {},
): Promise<LoadFigures> {
  const over = Object.keys(overrides).length > 0 ? ` + ${JSON.stringify(overrides)}` : "";
  say(`== open loop: ${n} GossipNodes on 127.0.0.1, ${preset} preset${over}, all publishing ==`);
  const ceiling = await measureCeiling("pairs", Math.max(1, n / 2), PAYLOAD + 14);
  say(`  raw UDP ceiling, ${n} sockets: ${ceiling.received_per_s} datagrams/s`);
  const options = { ...(PRESETS[preset] ?? localOptions)(), ...overrides };
  const tracked = new Map<MessageId, Tracked>();
  const onDeliver = (id: MessageId): void => {
    const t = tracked.get(id);
    if (t && ++t.count === n - 1) t.fullMs = performance.now() - t.at;
  };
  const nodes: GossipNode[] = [];
  for (let i = 0; i < n; i++) {
    const node = await GossipNode.start({
      ...options,
      listen: "127.0.0.1:0",
      seeds: i === 0 ? [] : [nodes[Math.floor(i / 2)]!.address],
      seed: 2000 + i,
    });
    node.onMessage((m) => onDeliver(m.id));
    nodes.push(node);
  }
  const payload = new Uint8Array(PAYLOAD).fill(7);
  const publish = (k: number): void => {
    const at = performance.now();
    const id = nodes[k % n]!.publish(payload);
    tracked.set(id, { at, count: 0, fullMs: Infinity });
  };
  const settled = async (ms: number): Promise<void> => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      let open = false;
      for (const t of tracked.values()) if (t.fullMs === Infinity) open = true;
      if (!open) return;
      await delay(20);
    }
  };
  const formStart = performance.now();
  while (!nodes.every((node) => node.activePeers().length > 0)) {
    if (performance.now() - formStart > 20_000) break;
    await delay(20);
  }
  // Warm-up: messages one at a time from rotating publishers so links settle (at most 40
  // messages or 10 s), then `warmupSeconds` of every node publishing at the first rate: the
  // anchor claims the shared tree only after two beacon periods up (4 s), and each origin's tree
  // settles over its first messages. The figures are of that steady state; the first seconds
  // of a cluster are slower (see docs/BENCHMARKS.md).
  const warmEnd = performance.now() + 10_000;
  for (let k = 0; k < Math.min(40, 2 * n) && performance.now() < warmEnd; k++) {
    publish(k * 7);
    await settled(Math.min(FULL_WITHIN_MS, warmEnd - performance.now()));
  }
  await openLoop(rates[0] ?? 100, warmupSeconds, publish);
  await settled(FULL_WITHIN_MS + 100);
  say(`  formed and warmed up in ${Math.round(performance.now() - formStart)} ms`);

  const results: RateFigures[] = [];
  for (const rate of rates) {
    tracked.clear();
    const before = totals(nodes);
    const kernelBefore = kernelReceiveDrops();
    const cpuBefore = cpuMs();
    const t0 = performance.now();
    const total = Math.round(rate * seconds);
    const lag = await openLoop(rate, seconds, publish);
    // Traffic is counted until every message arrived or its 2 s ran out: what the window's
    // messages caused, also when an overloaded cluster lags behind the schedule (counting only
    // the publishing window would then miss the backlog and read below the floor).
    await settled(FULL_WITHIN_MS + 100);
    const elapsed = performance.now() - t0;
    const after = totals(nodes);
    const kernelAfter = kernelReceiveDrops();
    if (kernelBefore !== undefined && kernelAfter !== undefined && kernelAfter > kernelBefore) {
      after.drops.kernel_receive_buffer = kernelAfter - kernelBefore;
    }
    const cpu = (cpuMs() - cpuBefore) / elapsed;
    const times = [...tracked.values()].map((
      t,
    ) => (t.fullMs <= FULL_WITHIN_MS ? t.fullMs : Infinity));
    const full = times.filter((t) => t !== Infinity).length;
    const finite = (v: number): number | null => (Number.isFinite(v) ? round(v, 1) : null);
    const perMsg = (after.datagramsOut - before.datagramsOut) / total;
    const r: RateFigures = {
      offered_msgs_per_s: rate,
      published: total,
      delivered_fraction: round(full / total, 4),
      p50_ms: finite(percentile(times, 50)),
      p99_ms: finite(percentile(times, 99)),
      max_ms: finite(Math.max(...times)),
      datagrams_per_message: round(perMsg, 1),
      datagrams_per_message_over_floor: round(perMsg / (n - 1), 2),
      payload_copies_per_node: round((after.payloadsIn - before.payloadsIn) / total / (n - 1), 3),
      bytes_per_message: Math.round((after.bytesOut - before.bytesOut) / total),
      frames_per_message: diff(after.frames, before.frames, total),
      datagrams_in_per_s: Math.round(((after.datagramsIn - before.datagramsIn) * 1000) / elapsed),
      cpu_cores: round(cpu, 2),
      cpu_us_per_datagram: round(
        (cpu * elapsed * 1000) / Math.max(1, after.datagramsIn - before.datagramsIn),
        2,
      ),
      scheduler_lag_max_ms: round(lag, 1),
      load_average: loadAverage(),
      drops: diff(after.drops, before.drops, 1),
    };
    results.push(r);
    say(
      `  ${String(rate).padStart(6)} msgs/s offered: ${(r.delivered_fraction * 100).toFixed(1)}% ` +
        `to every node in 2 s, time to full p50 ${r.p50_ms ?? "—"} ms p99 ${r.p99_ms ?? "—"} ms; ` +
        `${r.datagrams_per_message} datagrams/msg (${r.datagrams_per_message_over_floor}× N−1), ` +
        `${r.payload_copies_per_node} copies/node, ${r.datagrams_in_per_s} datagrams/s in, ` +
        `cpu ${r.cpu_cores} (${r.cpu_us_per_datagram} µs/datagram), lag ≤ ${r.scheduler_lag_max_ms} ms` +
        (r.load_average === null ? "" : `, load ${r.load_average}`),
    );
    say(`         frames/msg ${JSON.stringify(r.frames_per_message)}`);
    if (Object.keys(r.drops).length) say(`         drops ${JSON.stringify(r.drops)}`);
    await settled(1000);
    await delay(300);
    if (r.delivered_fraction < 0.95) break;
  }
  await Promise.all(nodes.map((node) => node.close()));
  return {
    nodes: n,
    preset,
    payload_bytes: PAYLOAD,
    seconds_per_rate: seconds,
    ceiling_datagrams_per_s: ceiling.received_per_s,
    rates: results,
  };
}

/** Runs every cluster size with its rates. */
export async function runLoadBench(
  sizes: readonly number[] = [32, 100],
  rates?: readonly number[],
  seconds = 5,
  preset = "local",
  warmupSeconds = 6,
  overrides: GossipOptions = {},
): Promise<LoadFigures[]> {
  const out: LoadFigures[] = [];
  for (const n of sizes) {
    out.push(
      await runLoad(n, rates ?? defaultRates(n), seconds, preset, warmupSeconds, overrides),
    );
  }
  return out;
}

/** Writes load.{json,svg} under bench/out, and under docs/ when `docs`. */
export async function writeLoadReport(figures: LoadFigures[], docs: boolean): Promise<void> {
  const report = {
    generated: new Date().toISOString(),
    deno: Deno.version.deno,
    cpus: navigator.hardwareConcurrency,
    load: figures,
  };
  const json = JSON.stringify(report, null, 2) + "\n";
  const svg = loadChart(figures);
  await Deno.mkdir("bench/out", { recursive: true });
  await Deno.writeTextFile("bench/out/load.json", json);
  await Deno.writeTextFile("bench/out/load.svg", svg);
  if (docs) {
    await Deno.writeTextFile("docs/load.json", json);
    await Deno.writeTextFile("docs/load.svg", svg);
  }
  say(`wrote bench/out/load.{json,svg}${docs ? " and docs/load.{json,svg}" : ""}`);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      nodes: { type: "string", default: "32,100" },
      rates: { type: "string" },
      seconds: { type: "string", default: "5" },
      warmup: { type: "string", default: "6" },
      preset: { type: "string", default: "local" },
      // Protocol options over the preset, as JSON: '{"graftTimeoutMs":50}'.
      options: { type: "string", default: "{}" },
      docs: { type: "boolean" },
    },
  });
  const sizes = values.nodes.split(",").map(Number).filter((x) => x >= 2);
  const rates = values.rates?.split(",").map(Number).filter((x) => x > 0);
  const figures = await runLoadBench(
    sizes,
    rates,
    Number(values.seconds),
    values.preset,
    Number(values.warmup),
    JSON.parse(values.options) as GossipOptions,
  );
  await writeLoadReport(figures, values.docs ?? false);
  await finish("load", {
    load: figures.map((f) => ({
      nodes: f.nodes,
      ceiling: f.ceiling_datagrams_per_s,
      rates: f.rates.map((r) => ({
        rate: r.offered_msgs_per_s,
        delivered: r.delivered_fraction,
        p50_ms: r.p50_ms,
        p99_ms: r.p99_ms,
        datagrams_per_message: r.datagrams_per_message,
        over_floor: r.datagrams_per_message_over_floor,
      })),
    })),
  });
}
