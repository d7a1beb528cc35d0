/**
 * The scenario's outputs: report.json, timeline.svg and the summary table.
 *
 * @module
 */

import type { NodeInfo } from "./docker.ts";
import { renderTimeline } from "./report_svg.ts";
import type { Ctx, PhaseResult } from "./scenario.ts";

/** Everything a report is made of. */
export interface RunRecord {
  /** Host ms when the runner started. */
  startedAt: number;
  /** Host ms when the containers were started (the chart's origin). */
  clusterStart: number;
  /** Host ms at the end of the scenario. */
  end: number;
  /** The run's settings. */
  config: Record<string, unknown>;
  /** Node image tag. */
  image: string;
  /** Base image used. */
  baseImage: string;
  /** ms until the first probe reached every node, or null. */
  convergeMs: number | null;
  /** Durations of the setup steps. */
  timings: Record<string, number | null>;
  /** Setup error, if any. */
  error: string | null;
  /** Whether the run was interrupted. */
  interrupted: boolean;
  /** Phase outcomes. */
  results: PhaseResult[];
  /** Nodes at the end. */
  nodes: NodeInfo[];
  /** Scenario state (absent when setup failed early). */
  ctx?: Ctx;
}

/** Writes report.json and timeline.svg into `dir`; returns their paths. */
export async function writeReport(dir: string, run: RunRecord): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const { ctx, results, nodes } = run;
  const phaseOf = new Map((ctx?.published ?? []).map((p) => [p.data, p.phase]));
  const deliveries: { node: string; at: number; phase: string }[] = [];
  for (const [node, account] of ctx?.ledger.accounts ?? []) {
    for (const d of account.values()) {
      const phase = phaseOf.get(d.data);
      if (phase) deliveries.push({ node, at: d.at, phase });
    }
  }
  const report = {
    startedAt: new Date(run.startedAt).toISOString(),
    durationMs: run.end - run.startedAt,
    config: run.config,
    image: run.image,
    baseImage: run.baseImage,
    capabilities: ctx?.faults.caps ?? null,
    originReports: ctx?.originReports ?? null,
    convergeMs: run.convergeMs,
    timings: run.timings,
    error: run.error,
    interrupted: run.interrupted,
    phases: results,
    nodes: nodes.map((n) => ({
      ...n,
      delivered: ctx?.ledger.accounts.get(n.name)?.size ?? 0,
      processes: ctx?.ledger.incarnations.get(n.name) ?? 0,
      duplicates: ctx?.ledger.duplicates.get(n.name) ?? 0,
      redeliveredAfterRestart: ctx?.ledger.redelivered.get(n.name) ?? 0,
    })),
    windows: ctx?.windows ?? [],
    published: ctx?.published ?? [],
  };
  const json = `${dir}/report.json`;
  const svgPath = `${dir}/timeline.svg`;
  await Deno.writeTextFile(json, JSON.stringify(report, null, 2) + "\n");
  const svg = renderTimeline({
    title: `starling cluster: ${nodes.length} nodes — ` +
      results.map((r) => `${r.key} ${r.status}`).join(", "),
    start: run.clusterStart,
    end: run.end,
    nodes: nodes.map((n) => ({ name: n.name, label: n.label })),
    deliveries,
    published: (ctx?.published ?? []).map((p) => ({ at: p.at, phase: p.phase })),
    windows: ctx?.windows ?? [],
    phases: results.map((r) => ({
      key: r.key,
      title: r.title,
      from: r.from,
      to: r.to,
      status: r.status,
    })),
  });
  await Deno.writeTextFile(svgPath, svg);
  return [json, svgPath];
}

/** The summary table, one string per line. */
export function summaryTable(results: PhaseResult[]): string[] {
  const rows = [[
    "phase",
    "result",
    "msgs",
    "delivered",
    "%",
    "full med",
    "full max",
    "hops max",
    "notes",
  ]];
  const shown = ["healToFullMs", "restartToRejoinMs", "leaks", "method"];
  for (const r of results) {
    const notes = Object.entries(r.figures)
      .filter(([k]) => shown.includes(k))
      .map(([k, v]) => `${k}=${v}`).join(" ");
    const why = r.status === "passed" ? "" : `${r.reason ?? ""} `;
    rows.push([
      r.key,
      r.status,
      String(r.published),
      `${r.delivered}/${r.expected}`,
      r.expected ? ((100 * r.delivered) / r.expected).toFixed(1) : "-",
      r.fullDeliveryMs ? `${r.fullDeliveryMs.median}ms` : "-",
      r.fullDeliveryMs ? `${r.fullDeliveryMs.max}ms` : "-",
      String(r.figures.hopsMax ?? "-"),
      (why + notes).trim(),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = [""];
  for (const [i, row] of rows.entries()) {
    lines.push(row.map((c, j) => (j === row.length - 1 ? c : c.padEnd(widths[j]!))).join("  "));
    if (i === 0) lines.push(widths.map((w) => "-".repeat(w)).join("  "));
  }
  lines.push("");
  return lines;
}
