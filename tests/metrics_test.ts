import assert from "node:assert/strict";
import { formatPrometheus, metricName } from "../lib/metrics/prometheus.ts";
import { serveMetrics } from "../lib/metrics/server.ts";
import { GossipError } from "../lib/errors.ts";
import { GossipNode } from "../lib/node/node.ts";
import type { NodeStats } from "../lib/node/options.ts";
import { generateKey } from "../lib/security/key_material.ts";
import { generateSigningKeyPair } from "../lib/security/origin_signer.ts";
import { MemoryNetwork } from "../lib/transport/memory_transport.ts";
import { until } from "./until.ts";

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Parsed {
  types: Map<string, string>;
  helps: Map<string, string>;
  samples: Sample[];
}

/** A strict reader of the text format: throws on any line it does not understand. */
function parse(text: string): Parsed {
  assert.ok(text.endsWith("\n"), "ends with a newline");
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split("\n")) {
    let m = /^# (HELP|TYPE) (\S+) (.+)$/.exec(line);
    if (m) {
      const [, what, name, rest] = m as unknown as [string, string, string, string];
      assert.match(name, NAME);
      const table = what === "HELP" ? helps : types;
      assert.ok(!table.has(name), `one ${what} for ${name}`);
      if (what === "TYPE") {
        assert.ok(["counter", "gauge"].includes(rest), line);
        assert.ok(!samples.some((s) => s.name === name), `TYPE before the samples of ${name}`);
      }
      table.set(name, rest);
      continue;
    }
    m = /^([^{\s]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string?, string?];
    assert.match(name, NAME);
    const labels: Record<string, string> = {};
    if (labelText) {
      const re = /([^=,]+)="((?:[^"\\]|\\.)*)"(?:,|$)/y;
      let at = 0;
      while (at < labelText.length) {
        re.lastIndex = at;
        const l = re.exec(labelText);
        assert.ok(l, `labels of ${line}`);
        assert.match(l[1]!, LABEL_NAME);
        labels[l[1]!] = l[2]!.replace(/\\n/g, "\n").replace(/\\(.)/g, "$1");
        at = re.lastIndex;
      }
    }
    const value = Number(valueText);
    assert.ok(!Number.isNaN(value), line);
    assert.ok(types.has(name), `TYPE line for ${name}`);
    samples.push({ name, labels, value });
  }
  return { types, helps, samples };
}

const value = (p: Parsed, name: string, labels: Record<string, string> = {}): number | undefined =>
  p.samples.find((s) =>
    s.name === name &&
    Object.keys(labels).length === Object.keys(s.labels).length &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  )?.value;

async function liveStats(): Promise<NodeStats> {
  const network = new MemoryNetwork();
  const key = generateKey();
  const pair = await generateSigningKeyPair();
  await using a = await GossipNode.start({
    transport: network.open(),
    keys: [key],
    signing: pair.privateKey,
    seed: 1,
  });
  await using b = await GossipNode.start({
    transport: network.open(),
    keys: [key],
    acceptPublishers: [pair.publicKey],
    seeds: [a.address],
    seed: 2,
  });
  await until(() => b.peers().length === 1, 5000, "b joins");
  await a.publishSigned(new TextEncoder().encode("m"));
  await until(() => b.stats().node.delivered === 1, 5000, "b delivers");
  return b.stats();
}

Deno.test("metricName() makes valid snake_case names", () => {
  assert.equal(
    metricName(["starling", "membership", "activeView"]),
    "starling_membership_active_view",
  );
  assert.equal(metricName(["starling", "bytesIn"]), "starling_bytes_in");
  assert.equal(metricName(["9 lives", "a-b.c"]), "_9_lives_a_b_c");
  for (const odd of ["ü", "a b", "x/y", "IPv6Peers"]) assert.match(metricName(["s", odd]), NAME);
});

Deno.test("formatPrometheus() exposes every stats number with valid names and types", async () => {
  const stats = await liveStats();
  const text = formatPrometheus(stats);
  const p = parse(text);
  // The engine's counters.
  assert.equal(p.types.get("starling_datagrams_in_total"), "counter");
  assert.equal(value(p, "starling_datagrams_in_total"), stats.engine.datagramsIn);
  assert.equal(value(p, "starling_bytes_out_total"), stats.engine.bytesOut);
  assert.equal(value(p, "starling_delivered_total"), 1);
  assert.equal(value(p, "starling_duplicates_total"), stats.engine.duplicates);
  assert.equal(
    value(p, "starling_frames_in_total", { type: "Data" }),
    stats.engine.framesInByType.Data,
  );
  assert.ok((stats.engine.framesInByType.Data ?? 0) >= 1);
  let framesByType = 0;
  for (const s of p.samples) if (s.name === "starling_frames_in_total") framesByType += s.value;
  assert.equal(framesByType, stats.engine.framesIn, "labelled samples sum to the total");
  // Sizes are gauges.
  assert.equal(p.types.get("starling_cache_entries"), "gauge");
  assert.equal(value(p, "starling_cache_entries"), stats.engine.cacheEntries);
  assert.equal(p.types.get("starling_peers"), "gauge");
  assert.equal(p.types.get("starling_membership_active_view"), "gauge");
  assert.equal(value(p, "starling_membership_active_view"), stats.engine.membership.activeView);
  assert.equal(value(p, "starling_broadcast_eager_links"), stats.engine.broadcast.eagerLinks);
  assert.equal(value(p, "starling_broadcast_prunes_sent_total"), stats.engine.broadcast.prunesSent);
  // Transport, security, signatures, node.
  assert.equal(value(p, "starling_transport_received_total"), stats.transport.received);
  assert.equal(value(p, "starling_security_opened_total"), stats.transport.security!.opened);
  assert.equal(p.types.get("starling_security_overhead"), "gauge");
  assert.equal(value(p, "starling_signatures_verified_total"), stats.signatures!.verified);
  assert.equal(value(p, "starling_node_delivered_total"), 1);
  assert.equal(value(p, "starling_uptime_seconds"), stats.uptimeMs / 1000);
  assert.equal(
    value(p, "starling_node_info", { node_id: stats.engine.nodeId.toString(16).padStart(10, "0") }),
    1,
  );
  // Every counter ends in _total; every family has help.
  for (const [name, type] of p.types) {
    assert.equal(type === "counter", name.endsWith("_total"), name);
    assert.ok(p.helps.has(name), name);
  }
  // Every top-level engine number is somewhere.
  for (const [key, n] of Object.entries(stats.engine)) {
    if (typeof n !== "number" || key === "nodeId" || key === "framesIn") continue;
    const name = metricName(["starling", key]);
    assert.ok(value(p, name) === n || value(p, `${name}_total`) === n, `${key} → ${name}`);
  }
});

Deno.test("formatPrometheus() turns reason maps into labels and escapes label values", async () => {
  const stats = await liveStats();
  stats.engine.dropped = { truncated: 3, 'we"ird\\\nreason': 1 };
  stats.transport.security!.dropped = { decrypt_failed: 2 };
  const p = parse(formatPrometheus(stats));
  assert.equal(value(p, "starling_dropped_total", { reason: "truncated" }), 3);
  assert.equal(value(p, "starling_dropped_total", { reason: 'we"ird\\\nreason' }), 1);
  assert.equal(value(p, "starling_security_dropped_total", { reason: "decrypt_failed" }), 2);
  assert.equal(p.types.get("starling_dropped_total"), "counter");
});

Deno.test("serveMetrics() serves /metrics over HTTP and rejects bad addresses", async () => {
  const stats = await liveStats();
  const server = serveMetrics("127.0.0.1:0", () => stats);
  try {
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    const response = await fetch(`http://${server.address}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const p = parse(await response.text());
    assert.equal(value(p, "starling_datagrams_in_total"), stats.engine.datagramsIn);
    const missing = await fetch(`http://${server.address}/other`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const post = await fetch(`http://${server.address}/metrics`, { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  } finally {
    await server.close();
  }
  assert.throws(
    () => serveMetrics("nowhere", () => stats),
    (e: unknown) => e instanceof GossipError && e.code === "invalid_option",
  );
  const taken = serveMetrics("127.0.0.1:0", () => stats);
  try {
    assert.throws(
      () => serveMetrics(taken.address, () => stats),
      (e: unknown) => e instanceof GossipError && e.code === "transport",
    );
  } finally {
    await taken.close();
  }
});
