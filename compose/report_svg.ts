/**
 * Renders the scenario timeline as a standalone SVG (hand-written, no libraries): one row per
 * node, a dot for every delivery at the time the node reported it, coloured by the phase of the
 * message; publish times as triangles on top; fault windows shaded (a partition or loss over the
 * whole cluster, a crash as a dark bar on the rows of the killed nodes).
 *
 * The document frame and escaping are the benchmarks' SVG writer's (bench/svg_chart.ts).
 *
 * @module
 */

import { escapeXml as esc, svgDocument } from "../bench/svg_chart.ts";

/** What the chart shows. */
export interface Timeline {
  /** Host ms of the chart's left edge. */
  start: number;
  /** Host ms of the right edge. */
  end: number;
  /** Rows, top to bottom. */
  nodes: { name: string; label: string }[];
  /** One entry per (node, message) delivery. */
  deliveries: { node: string; at: number; phase: string }[];
  /** Publish events. */
  published: { at: number; phase: string }[];
  /** Fault windows; with `nodes`, only those rows are marked. */
  windows: { label: string; from: number; to?: number; nodes?: string[] }[];
  /** Phases for the band on top. */
  phases: { key: string; title: string; from: number; to: number; status: string }[];
  /** Chart title. */
  title: string;
}

/** Colour of each phase key's messages. */
export const PHASE_COLOURS: Record<string, string> = {
  warm: "#7f7f7f",
  base: "#1f77b4",
  part: "#ff7f0e",
  oneway: "#bcbd22",
  loss: "#2ca02c",
  delay: "#8c564b",
  crash: "#d62728",
  rejoin: "#9467bd",
};

const ROW = 16;
const LEFT = 64;
const RIGHT = 24;
const TOP = 78;
const PLOT_W = 1100;

/** Cuts a label to what fits in `px` pixels (about 6.2 px per character at 11 px). */
function fit(text: string, px: number): string {
  const n = Math.floor(px / 6.2);
  if (text.length <= n) return text;
  return n >= 3 ? text.slice(0, n - 1) + "…" : "";
}

function niceStep(spanS: number): number {
  const raw = spanS / 12;
  for (const s of [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600]) if (s >= raw) return s;
  return 1200;
}

/** The SVG document for a timeline. */
export function renderTimeline(t: Timeline): string {
  const span = Math.max(1, t.end - t.start);
  const x = (ms: number): number =>
    LEFT + Math.max(0, Math.min(PLOT_W, ((ms - t.start) / span) * PLOT_W));
  const rowOf = new Map(t.nodes.map((n, i) => [n.name, i]));
  const plotH = t.nodes.length * ROW;
  const width = LEFT + PLOT_W + RIGHT;
  const height = TOP + plotH + 90;
  const out: string[] = [];
  const f = (v: number): string => v.toFixed(1);
  out.push(
    `<text x="${LEFT}" y="18" font-size="14" font-weight="bold">${esc(t.title)}</text>`,
  );
  // Phase band.
  for (const p of t.phases) {
    if (p.status === "skipped") continue;
    const x0 = x(p.from);
    const w = Math.max(1, x(p.to) - x0);
    const colour = PHASE_COLOURS[p.key] ?? "#999999";
    const mark = p.status === "passed" ? "✓" : p.status === "failed" ? "✗" : "–";
    out.push(
      `<rect x="${f(x0)}" y="28" width="${f(w)}" height="18" fill="${colour}" opacity="0.25"/>`,
      `<text x="${f(x0 + 3)}" y="41">${esc(fit(`${mark} ${p.title}`, w - 6))}</text>`,
      `<line x1="${f(x0)}" y1="28" x2="${f(x0)}" y2="${TOP + plotH}" stroke="#bbbbbb" ` +
        `stroke-dasharray="2,3"/>`,
    );
  }
  // Row stripes and labels.
  t.nodes.forEach((n, i) => {
    const y = TOP + i * ROW;
    if (i % 2 === 0) {
      out.push(`<rect x="${LEFT}" y="${y}" width="${PLOT_W}" height="${ROW}" fill="#f4f4f4"/>`);
    }
    out.push(`<text x="${LEFT - 6}" y="${y + ROW - 4}" text-anchor="end">${esc(n.label)}</text>`);
  });
  // Fault windows.
  for (const w of t.windows) {
    const x0 = x(w.from);
    const x1 = x(w.to ?? t.end);
    if (w.nodes) {
      for (const name of w.nodes) {
        const r = rowOf.get(name);
        if (r === undefined) continue;
        out.push(
          `<rect x="${f(x0)}" y="${TOP + r * ROW + 3}" width="${f(Math.max(1, x1 - x0))}" ` +
            `height="${ROW - 6}" fill="#333333" opacity="0.55"><title>${
              esc(w.label)
            }</title></rect>`,
        );
      }
      out.push(`<text x="${f(x0 + 2)}" y="${TOP - 4}" fill="#333333">${esc(w.label)}</text>`);
    } else {
      out.push(
        `<rect x="${f(x0)}" y="${TOP}" width="${f(Math.max(1, x1 - x0))}" height="${plotH}" ` +
          `fill="#e377c2" opacity="0.14"><title>${esc(w.label)}</title></rect>`,
        `<text x="${f(x0 + 2)}" y="${TOP - 4}" fill="#a0306f">${esc(w.label)}</text>`,
      );
    }
  }
  // Publish markers.
  for (const p of t.published) {
    const px = x(p.at);
    const colour = PHASE_COLOURS[p.phase] ?? "#999999";
    out.push(
      `<path d="M${f(px - 3)},50 L${f(px + 3)},50 L${f(px)},56 Z" fill="${colour}"/>`,
    );
  }
  // Deliveries.
  for (const d of t.deliveries) {
    const r = rowOf.get(d.node);
    if (r === undefined) continue;
    const colour = PHASE_COLOURS[d.phase] ?? "#999999";
    out.push(
      `<circle cx="${f(x(d.at))}" cy="${f(TOP + r * ROW + ROW / 2)}" r="2.4" ` +
        `fill="${colour}" fill-opacity="0.75"/>`,
    );
  }
  // Time axis.
  const axisY = TOP + plotH;
  out.push(
    `<line x1="${LEFT}" y1="${axisY}" x2="${LEFT + PLOT_W}" y2="${axisY}" stroke="#000000"/>`,
  );
  const step = niceStep(span / 1000);
  for (let s = 0; s * 1000 <= span; s += step) {
    const tx = x(t.start + s * 1000);
    out.push(
      `<line x1="${f(tx)}" y1="${axisY}" x2="${f(tx)}" y2="${axisY + 5}" stroke="#000000"/>`,
      `<text x="${f(tx)}" y="${axisY + 17}" text-anchor="middle">${s}s</text>`,
    );
  }
  out.push(
    `<text x="${LEFT + PLOT_W / 2}" y="${axisY + 32}" text-anchor="middle">` +
      `seconds since the cluster started (host clock; delivery = time docker logged the line)` +
      `</text>`,
  );
  // Legend.
  let lx = LEFT;
  const ly = axisY + 54;
  const used = new Set(t.deliveries.map((d) => d.phase).concat(t.published.map((p) => p.phase)));
  for (const [key, colour] of Object.entries(PHASE_COLOURS)) {
    if (!used.has(key)) continue;
    out.push(
      `<circle cx="${lx + 4}" cy="${ly - 4}" r="4" fill="${colour}"/>`,
      `<text x="${lx + 12}" y="${ly}">${esc(key)}</text>`,
    );
    lx += 24 + key.length * 7;
  }
  out.push(
    `<path d="M${lx + 2},${ly - 8} L${lx + 8},${ly - 8} L${lx + 5},${ly - 2} Z" fill="#555555"/>`,
    `<text x="${lx + 12}" y="${ly}">publish</text>`,
    `<rect x="${lx + 64}" y="${ly - 9}" width="14" height="10" fill="#e377c2" opacity="0.3"/>`,
    `<text x="${lx + 82}" y="${ly}">network fault</text>`,
    `<rect x="${lx + 170}" y="${ly - 9}" width="14" height="10" fill="#333333" opacity="0.55"/>`,
    `<text x="${lx + 188}" y="${ly}">node down</text>`,
  );
  return svgDocument(width, height, out, 'font-family="sans-serif" font-size="11"') + "\n";
}
