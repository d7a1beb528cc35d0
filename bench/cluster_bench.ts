/**
 * Loopback cluster benchmark: N real GossipNodes on 127.0.0.1 in this one process.
 *
 * - latency: one message at a time, publish → the last of the N − 1 other nodes delivers it;
 *   median, p99 and max over `--latency` (200) messages from rotating publishers;
 * - throughput: closed loops keeping `--windows` (1, 4, 32) messages in flight for 3 s each; the
 *   best is the sustained figure. Reports
 *   messages/s that reached every node, the datagrams the protocol must deliver for that
 *   (messages/s × (N − 1), one copy to each other node), and that rate as a fraction of the raw
 *   UDP ceiling measured in the same run with N sockets (N/2 flow-controlled pairs);
 * - wire cost per delivered message: datagrams and bytes sent by all nodes (node.stats()).
 *
 * Run alone: `deno run --allow-net=127.0.0.1 --allow-read=. --allow-write=bench/out
 * bench/cluster_bench.ts [--nodes 8,32,64] [--mode tree] [--windows 1,4,32] [--latency 200]`
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { GossipNode } from "../lib/node/node.ts";
import { localOptions } from "../lib/presets.ts";
import type { BroadcastMode } from "../lib/options.ts";
import type { MessageId } from "../lib/wire/message_id.ts";
import { median, percentile, round } from "./bench_stats.ts";
import { delay, finish, say } from "./harness.ts";
import { type CeilingResult, measureCeiling } from "./udp_ceiling.ts";

/** One closed-loop throughput phase. */
export interface WindowFigures {
  /** Messages kept in flight. */
  window: number;
  msgs_per_s: number;
  required_datagrams_per_s: number;
  ratio_of_ceiling: number;
  wire_datagrams_per_s: number;
  /** Messages not fully delivered within 2 s. */
  incomplete: number;
  /** Time to full delivery under this load. */
  median_ms: number;
  p99_ms: number;
  datagrams_per_message: number;
  bytes_per_message: number;
  payload_copies_per_node: number;
  /** CPU time of this process per datagram received by any node (send + receive + protocol). */
  cpu_us_per_datagram: number;
}

/** Figures for one cluster size. */
export interface ClusterFigures {
  nodes: number;
  mode: BroadcastMode;
  /** Milliseconds until every node knew at least one peer and warm-up messages got through. */
  form_ms: number;
  latency_messages: number;
  /** Messages that did not reach every node within 2 s in the latency phase. */
  latency_incomplete: number;
  median_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Messages in flight of the best throughput phase. */
  throughput_window: number;
  /** Messages per second that reached every node (best window). */
  throughput_msgs_per_s: number;
  /** messages/s × (N − 1): the datagrams the protocol must deliver per second. */
  required_datagrams_per_s: number;
  /** Raw UDP ceiling with the same number of sockets, same run (received datagrams/s). */
  ceiling_datagrams_per_s: number;
  /** required_datagrams_per_s / ceiling. */
  ratio_of_ceiling: number;
  /** Datagrams actually sent per second by all nodes (best window). */
  wire_datagrams_per_s: number;
  /** Datagrams sent by all nodes per message (best window; N − 1 is the floor). */
  datagrams_per_message: number;
  /** Bytes sent by all nodes per message. */
  bytes_per_message: number;
  /** Data frames received per node per message (1 is the floor). */
  payload_copies_per_node: number;
  /** CPU µs per datagram in the best window (the node side's cost, robust to a busy machine). */
  cpu_us_per_datagram: number;
  /** Every throughput phase. */
  by_window: WindowFigures[];
  /** Transport receive errors and engine drops over the run. */
  drops: Record<string, number>;
}

const PAYLOAD = 256;

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) return false;
    await delay(5);
  }
  return true;
}

/** Runs the benchmark for one cluster size. */
export async function runCluster(
  n: number,
  mode: BroadcastMode = "tree",
  latencyMessages = 200,
  seconds = 3,
  windows: number[] = [1, 4, 32],
): Promise<{ figures: ClusterFigures; ceiling: CeilingResult }> {
  say(
    `== cluster: ${n} GossipNodes on 127.0.0.1, mode ${mode}, ${PAYLOAD} B payloads ==`,
  );
  const ceiling = await measureCeiling("pairs", Math.max(1, n / 2), PAYLOAD + 14);
  say(`  raw UDP ceiling, ${n} sockets: ${ceiling.received_per_s} datagrams/s`);

  const t0 = performance.now();
  const nodes: GossipNode[] = [];
  const counts = new Map<MessageId, number>();
  const waiters = new Map<MessageId, () => void>();
  const onDeliver = (id: MessageId): void => {
    const c = (counts.get(id) ?? 0) + 1;
    counts.set(id, c);
    if (c === n - 1) {
      const w = waiters.get(id);
      if (w) {
        waiters.delete(id);
        w();
      }
    }
  };
  for (let i = 0; i < n; i++) {
    const node = await GossipNode.start({
      // One machine: the local preset (fast rounds, short graft timers).
      ...localOptions(),
      listen: "127.0.0.1:0",
      seeds: i === 0 ? [] : [nodes[0]!.address],
      seed: 1000 + i,
      mode,
    });
    node.onMessage((m) => onDeliver(m.id));
    nodes.push(node);
  }
  const payload = new Uint8Array(PAYLOAD).fill(42);
  // One watchdog for every message instead of a timer per message: at thousands of messages a
  // second, setTimeout + clearTimeout per message was harness cost charged to the nodes.
  const deadlines = new Map<MessageId, { at: number; expire: () => void }>();
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const [id, d] of deadlines) {
      if (d.at > now) continue;
      deadlines.delete(id);
      waiters.delete(id);
      d.expire();
    }
  }, 50);
  const publishAndWait = (from: number, timeoutMs: number): Promise<number | null> => {
    const start = performance.now();
    const id = nodes[from]!.publish(payload);
    if ((counts.get(id) ?? 0) >= n - 1) return Promise.resolve(0);
    return new Promise((resolve) => {
      deadlines.set(id, { at: start + timeoutMs, expire: () => resolve(null) });
      waiters.set(id, () => {
        deadlines.delete(id);
        resolve(performance.now() - start);
      });
    });
  };
  await until(() => nodes.every((node) => node.peers().length > 0), 10_000);
  for (let w = 0; w < 20; w++) await publishAndWait(w % n, 2000);
  await delay(200);
  const formMs = Math.round(performance.now() - t0);

  // Latency: one message at a time.
  const times: number[] = [];
  let latencyIncomplete = 0;
  for (let m = 0; m < latencyMessages; m++) {
    const t = await publishAndWait((m * 7) % n, 2000);
    if (t === null) latencyIncomplete++;
    else times.push(t);
    await delay(1);
  }
  say(
    `  time to full delivery over ${times.length} messages: median ${
      round(median(times), 2)
    } ms, ` +
      `p99 ${round(percentile(times, 99), 2)} ms, max ${round(Math.max(...times), 2)} ms` +
      (latencyIncomplete ? `, ${latencyIncomplete} incomplete in 2 s` : ""),
  );
  await delay(300);

  // Throughput: a closed loop with `window` messages in flight, for each window; the best is
  // the sustained figure (more in flight is not always faster: see docs/BENCHMARKS.md).
  const totals = () => {
    let datagrams = 0, bytes = 0, payloads = 0, received = 0;
    for (const node of nodes) {
      const s = node.stats().engine;
      datagrams += s.datagramsOut;
      bytes += s.bytesOut;
      payloads += s.payloadsIn;
      received += s.datagramsIn;
    }
    const cpu = process.cpuUsage();
    return { datagrams, bytes, payloads, received, cpuUs: cpu.user + cpu.system };
  };
  const phase = async (window: number): Promise<WindowFigures> => {
    const before = totals();
    let completed = 0;
    let started = 0;
    const loaded: number[] = [];
    let incomplete = 0;
    const end = performance.now() + seconds * 1000;
    const tStart = performance.now();
    const lane = async (k: number): Promise<void> => {
      while (performance.now() < end) {
        started++;
        const t = await publishAndWait((started * 13 + k) % n, 2000);
        if (t === null) incomplete++;
        else {
          completed++;
          loaded.push(t);
        }
      }
    };
    await Promise.all(Array.from({ length: window }, (_, k) => lane(k)));
    const elapsed = (performance.now() - tStart) / 1000;
    const after = totals();
    const msgsPerS = completed / elapsed;
    const w: WindowFigures = {
      window,
      msgs_per_s: Math.round(msgsPerS),
      required_datagrams_per_s: Math.round(msgsPerS * (n - 1)),
      ratio_of_ceiling: round(msgsPerS * (n - 1) / ceiling.received_per_s, 3),
      wire_datagrams_per_s: Math.round((after.datagrams - before.datagrams) / elapsed),
      incomplete,
      median_ms: round(median(loaded), 2),
      p99_ms: round(percentile(loaded, 99), 2),
      datagrams_per_message: round((after.datagrams - before.datagrams) / Math.max(1, started), 1),
      bytes_per_message: Math.round((after.bytes - before.bytes) / Math.max(1, started)),
      payload_copies_per_node: round(
        (after.payloads - before.payloads) / Math.max(1, started) / (n - 1),
        2,
      ),
      cpu_us_per_datagram: round(
        (after.cpuUs - before.cpuUs) / Math.max(1, after.received - before.received),
        2,
      ),
    };
    say(
      `  throughput, ${String(window).padStart(2)} in flight: ${w.msgs_per_s} msgs/s to all ` +
        `nodes = ${w.required_datagrams_per_s} required datagrams/s = ` +
        `${(w.ratio_of_ceiling * 100).toFixed(1)}% of the ceiling (wire ` +
        `${w.wire_datagrams_per_s}/s, ${w.cpu_us_per_datagram} µs CPU per datagram; time to ` +
        `full median ${w.median_ms} ms, p99 ${w.p99_ms} ms` +
        `${incomplete ? `; ${incomplete} incomplete` : ""})`,
    );
    await delay(300);
    return w;
  };
  const byWindow: WindowFigures[] = [];
  for (const window of windows) byWindow.push(await phase(window));
  const best = byWindow.reduce((x, y) => (y.msgs_per_s > x.msgs_per_s ? y : x));
  const drops: Record<string, number> = {};
  for (const node of nodes) {
    const s = node.stats();
    if (s.transport.receiveErrors) {
      drops.receive_errors = (drops.receive_errors ?? 0) + s.transport.receiveErrors;
    }
    if (s.transport.sendErrors) {
      drops.send_errors = (drops.send_errors ?? 0) + s.transport.sendErrors;
    }
    for (const [k, v] of Object.entries(s.engine.dropped)) drops[k] = (drops[k] ?? 0) + v;
  }
  const figures: ClusterFigures = {
    nodes: n,
    mode,
    form_ms: formMs,
    latency_messages: latencyMessages,
    latency_incomplete: latencyIncomplete,
    median_ms: round(median(times), 2),
    p99_ms: round(percentile(times, 99), 2),
    max_ms: round(Math.max(...times), 2),
    throughput_window: best.window,
    throughput_msgs_per_s: best.msgs_per_s,
    required_datagrams_per_s: best.required_datagrams_per_s,
    ceiling_datagrams_per_s: ceiling.received_per_s,
    ratio_of_ceiling: best.ratio_of_ceiling,
    wire_datagrams_per_s: best.wire_datagrams_per_s,
    datagrams_per_message: best.datagrams_per_message,
    bytes_per_message: best.bytes_per_message,
    payload_copies_per_node: best.payload_copies_per_node,
    cpu_us_per_datagram: best.cpu_us_per_datagram,
    by_window: byWindow,
    drops,
  };
  say(
    `  per message: ${figures.datagrams_per_message} datagrams, ${figures.bytes_per_message} B ` +
      `on the wire (floor ${n - 1} datagrams, ${(n - 1) * (PAYLOAD + 14)} B); ` +
      `${figures.payload_copies_per_node} payload copies per node`,
  );
  if (Object.keys(drops).length) say(`  drops: ${JSON.stringify(drops)}`);
  clearInterval(watchdog);
  await Promise.all(nodes.map((node) => node.close()));
  return { figures, ceiling };
}

/** Runs every cluster size. */
export async function runClusterBench(
  sizes: number[] = [8, 32, 64],
  mode: BroadcastMode = "tree",
  windows: number[] = [1, 4, 32],
  latencyMessages = 200,
): Promise<ClusterFigures[]> {
  const out: ClusterFigures[] = [];
  for (const n of sizes) out.push((await runCluster(n, mode, latencyMessages, 3, windows)).figures);
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      nodes: { type: "string", default: "8,32,64" },
      mode: { type: "string" },
      windows: { type: "string", default: "1,4,32" },
      latency: { type: "string", default: "200" },
    },
  });
  const sizes = values.nodes.split(",").map(Number).filter((x) => x >= 2);
  const mode = (values.mode ?? "tree") as BroadcastMode;
  const clusters = await runClusterBench(
    sizes,
    mode,
    values.windows.split(",").map(Number).filter((w) => w >= 1),
    Number(values.latency),
  );
  await finish("cluster", { clusters });
}
