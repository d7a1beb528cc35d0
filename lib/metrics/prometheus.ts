/**
 * {@linkcode formatPrometheus}: a node's {@linkcode NodeStats} in the Prometheus text exposition
 * format (version 0.0.4), for a `/metrics` endpoint.
 *
 * Every number of the stats becomes a sample; nested objects extend the name, and the maps keyed
 * by a reason, frame type or cause become one metric with a label. Counters end in `_total`.
 *
 * @module
 */

import type { NodeStats } from "../node/options.ts";

/** The content type of {@linkcode formatPrometheus}'s text. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Kind = "counter" | "gauge";

interface Family {
  kind: Kind;
  help: string;
  samples: { labels: string; value: number }[];
}

/** Maps of counts whose keys become a label rather than part of the name. */
const LABEL_MAPS: Record<string, { name: string; label: string }> = {
  dropped: { name: "dropped", label: "reason" },
  framesInByType: { name: "frames_in", label: "type" },
  framesOutByType: { name: "frames_out", label: "type" },
  cacheEvicted: { name: "cache_evicted", label: "cause" },
};

/** Figures that go up and down (sizes, tables, settings); everything else counts events. */
const GAUGES = new Set([
  "peers",
  "activeView",
  "passiveView",
  "cacheEntries",
  "cacheBytes",
  "seenEntries",
  "eagerLinks",
  "lazyLinks",
  "pendingAcks",
  "pendingGrafts",
  "overhead",
  "replayEpochs",
  "rateSources",
]);

/** Names that look like sizes of tables and views rather than counts of events. */
const GAUGE_NAME = /^(pending|current)|(View|List|Links|Entries|Bytes|Size|Sources|Epochs|Peers)$/;

/** Keys skipped: derived elsewhere or not a measurement. */
const SKIPPED = new Set(["nodeId", "uptimeMs"]);

/**
 * A metric name from a stats path: `["membership", "activeView"]` → `membership_active_view`.
 * Only `[a-zA-Z0-9_]` survive; a leading digit gets an underscore.
 */
export function metricName(parts: readonly string[]): string {
  const name = parts
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase())
    .join("_")
    .replace(/[^a-zA-Z0-9_]+/g, "_")
    .replace(/_+/g, "_");
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

function labelValue(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function sampleValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

class Families {
  readonly map = new Map<string, Family>();

  add(name: string, kind: Kind, help: string, value: number, labels = ""): void {
    const full = kind === "counter" ? `${name}_total` : name;
    let family = this.map.get(full);
    if (!family) {
      family = { kind, help, samples: [] };
      this.map.set(full, family);
    }
    family.samples.push({ labels, value });
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, family] of this.map) {
      lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.kind}`);
      for (const { labels, value } of family.samples) {
        lines.push(`${name}${labels} ${sampleValue(value)}`);
      }
    }
    return lines.join("\n") + "\n";
  }
}

/**
 * Walks one section of the stats. `prefix` is the metric name parts, `path` the stats path for
 * the help text. Numbers count events unless their name says they are a size.
 */
function walk(
  out: Families,
  value: unknown,
  prefix: string[],
  path: string,
): void {
  if (typeof value !== "object" || value === null) return;
  const record = value as Record<string, unknown>;
  for (const [key, item] of Object.entries(record)) {
    // A total (framesIn) is the sum of its map by type (framesInByType), exported under the same
    // name with a label; keep only the labelled samples.
    if (SKIPPED.has(key) || `${key}ByType` in record) continue;
    const here = `${path}.${key}`;
    const labelled = LABEL_MAPS[key];
    if (labelled && typeof item === "object" && item !== null) {
      const name = metricName([...prefix, labelled.name]);
      for (const [labelKey, n] of Object.entries(item as Record<string, unknown>)) {
        if (typeof n !== "number") continue;
        out.add(
          name,
          "counter",
          `${here} by ${labelled.label}`,
          n,
          `{${labelled.label}="${labelValue(labelKey)}"}`,
        );
      }
      continue;
    }
    if (typeof item === "number") {
      const kind: Kind = GAUGES.has(key) || GAUGE_NAME.test(key) ? "gauge" : "counter";
      out.add(metricName([...prefix, key]), kind, here, item);
    } else if (typeof item === "object" && item !== null) {
      walk(out, item, [...prefix, key], here);
    }
  }
}

/**
 * The Prometheus text exposition of `stats`, ending with a newline. Metric names start with
 * `starling_`: the engine's counters directly (`starling_datagrams_in_total`,
 * `starling_frames_in_total{type="Data"}`, `starling_dropped_total{reason="truncated"}`), then
 * `starling_membership_*`, `starling_broadcast_*`, `starling_transport_*`, `starling_security_*`,
 * `starling_signatures_*` and `starling_node_*`; sizes are gauges.
 *
 * @example
 * ```ts ignore
 * import { formatPrometheus } from "./prometheus.ts";
 * const text = formatPrometheus(node.stats());
 * // # HELP starling_datagrams_in_total stats().engine.datagramsIn
 * // # TYPE starling_datagrams_in_total counter
 * // starling_datagrams_in_total 42
 * ```
 */
export function formatPrometheus(stats: NodeStats): string {
  const out = new Families();
  const { membership, broadcast, ...engine } = stats.engine;
  walk(out, engine, ["starling"], "stats().engine");
  walk(out, membership, ["starling", "membership"], "stats().engine.membership");
  walk(out, broadcast, ["starling", "broadcast"], "stats().engine.broadcast");
  const { security, ...transport } = stats.transport;
  walk(out, transport, ["starling", "transport"], "stats().transport");
  if (security) walk(out, security, ["starling", "security"], "stats().transport.security");
  if (stats.signatures) {
    walk(out, stats.signatures, ["starling", "signatures"], "stats().signatures");
  }
  walk(out, stats.node, ["starling", "node"], "stats().node");
  if (transport.implementation !== undefined) {
    out.add(
      "starling_transport_info",
      "gauge",
      "What carries the datagrams (stats().transport.implementation) as a label; the value is 1",
      1,
      `{implementation="${labelValue(transport.implementation)}"}`,
    );
  }
  out.add("starling_uptime_seconds", "gauge", "stats().uptimeMs / 1000", stats.uptimeMs / 1000);
  out.add(
    "starling_node_info",
    "gauge",
    "The node id (40-bit hex) as a label; the value is 1",
    1,
    `{node_id="${stats.engine.nodeId.toString(16).padStart(10, "0")}"}`,
  );
  return out.render();
}
