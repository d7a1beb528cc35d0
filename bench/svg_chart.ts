/**
 * A tiny dependency-free SVG chart writer for the benchmarks: line charts (linear or log x axis)
 * and grouped bar charts with axes, ticks and a legend, plus a grid to lay several panels out in
 * one file; the compose rig's timeline (compose/report_svg.ts) uses its document frame and
 * escaping. Output is a plain string; nothing here touches the file system.
 *
 * @module
 */

/** One line of a line chart. */
export interface Series {
  /** Legend text. */
  name: string;
  /** Points in data units, drawn in the given order. */
  points: readonly (readonly [number, number])[];
  /** Stroke colour; taken from {@linkcode PALETTE} by position when absent. */
  color?: string;
  /** Draw dashed. */
  dashed?: boolean;
}

/** Settings of {@linkcode lineChart}. */
export interface LineChartOptions {
  /** Title above the plot. */
  title: string;
  /** X axis label. */
  xLabel: string;
  /** Y axis label. */
  yLabel: string;
  /** The lines. */
  series: readonly Series[];
  /** Size in px. @default {480} */
  width?: number;
  /** Size in px. @default {300} */
  height?: number;
  /** Logarithmic x axis (values ≤ 0 are clamped to the smallest positive x). */
  xLog?: boolean;
  /** Axis bounds; derived from the data when absent. */
  xMin?: number;
  /** Axis bounds; derived from the data when absent. */
  xMax?: number;
  /** Axis bounds; derived from the data when absent. */
  yMin?: number;
  /** Axis bounds; derived from the data when absent. */
  yMax?: number;
  /** Legend placement. @default {"top-right"} */
  legend?: LegendPosition;
}

/** Settings of {@linkcode barChart}. */
export interface BarChartOptions {
  /** Title above the plot. */
  title: string;
  /** Y axis label. */
  yLabel: string;
  /** Group labels along the x axis. */
  groups: readonly string[];
  /** One entry per bar series: name and one value per group (null = no bar). */
  series: readonly { name: string; values: readonly (number | null)[]; color?: string }[];
  /** Size in px. @default {480} */
  width?: number;
  /** Size in px. @default {300} */
  height?: number;
  /** Y axis upper bound; derived from the data when absent. */
  yMax?: number;
  /** Legend placement. @default {"top-right"} */
  legend?: LegendPosition;
  /** Draw a horizontal reference line at this value (for a target). */
  reference?: { value: number; label: string };
}

/** Where the legend box goes inside the plot. */
export type LegendPosition = "top-right" | "bottom-right" | "top-left";

/** Default series colours (colour-blind friendly). */
export const PALETTE: readonly string[] = [
  "#0072b2",
  "#d55e00",
  "#009e73",
  "#cc79a7",
  "#e69f00",
  "#56b4e9",
  "#000000",
];

const MARGIN = { left: 58, right: 12, top: 28, bottom: 44 };
const FONT = 'font-family="sans-serif"';

/** Escapes text for use inside SVG/XML. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/**
 * "Nice" tick values covering [min, max]: steps of 1, 2 or 5 × 10^k, about `count` of them.
 * Returns at least two ticks; the first ≤ min and the last ≥ max.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const first = Math.floor(min / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let t = first; t < max + step * 0.999; t += step) ticks.push(round(t, step));
  if (ticks.length < 2) ticks.push(round(first + step, step));
  return ticks;
}

/** Powers of ten covering [min, max] (both > 0), for a log axis. */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(Math.max(min, Number.MIN_VALUE)));
  const hi = Math.ceil(Math.log10(Math.max(max, min)));
  const ticks: number[] = [];
  for (let e = lo; e <= Math.max(hi, lo + 1); e++) ticks.push(10 ** e);
  return ticks;
}

function round(value: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(12, digits)));
}

/** Short label for a tick value: 1500 → "1.5k", 2000000 → "2M", 0.25 → "0.25". */
export function formatTick(value: number): string {
  const abs = Math.abs(value);
  const trim = (x: number) => String(Number(x.toPrecision(3)));
  if (abs >= 1e6) return trim(value / 1e6) + "M";
  if (abs >= 1e4) return trim(value / 1e3) + "k";
  return trim(value);
}

/**
 * A standalone SVG document of `width` × `height` px: the root element (with extra root
 * `attributes`, such as a default font), a white background, then the `body` elements. Every
 * SVG the benchmarks and the compose rig write starts here.
 */
export function svgDocument(
  width: number,
  height: number,
  body: readonly string[],
  attributes = "",
): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}"${attributes === "" ? "" : " " + attributes}>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    "</svg>",
  ].join("\n");
}

function frame(width: number, height: number, title: string, body: string[]): string {
  return svgDocument(width, height, [
    `<text x="${width / 2}" y="17" text-anchor="middle" font-size="13" font-weight="bold" ` +
    `${FONT}>${escapeXml(title)}</text>`,
    ...body,
  ]);
}

function axes(
  width: number,
  height: number,
  xTicks: { at: number; label: string }[],
  yTicks: { at: number; label: string }[],
  xLabel: string,
  yLabel: string,
): string[] {
  const { left, top, bottom, right } = MARGIN;
  const x1 = width - right;
  const y0 = height - bottom;
  const out: string[] = [];
  for (const t of yTicks) {
    out.push(
      `<line x1="${left}" y1="${f(t.at)}" x2="${x1}" y2="${f(t.at)}" stroke="#e5e5e5"/>`,
      `<text x="${left - 5}" y="${f(t.at + 4)}" text-anchor="end" font-size="10" ${FONT}>` +
        `${escapeXml(t.label)}</text>`,
    );
  }
  for (const t of xTicks) {
    out.push(
      `<line x1="${f(t.at)}" y1="${y0}" x2="${f(t.at)}" y2="${y0 + 4}" stroke="#333"/>`,
      `<text x="${f(t.at)}" y="${y0 + 15}" text-anchor="middle" font-size="10" ${FONT}>` +
        `${escapeXml(t.label)}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${y0}" stroke="#333"/>`,
    `<line x1="${left}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="#333"/>`,
    `<text x="${(left + x1) / 2}" y="${height - 8}" text-anchor="middle" font-size="11" ` +
      `${FONT}>${escapeXml(xLabel)}</text>`,
    `<text x="12" y="${(top + y0) / 2}" text-anchor="middle" font-size="11" ${FONT} ` +
      `transform="rotate(-90 12 ${(top + y0) / 2})">${escapeXml(yLabel)}</text>`,
  );
  return out;
}

function legend(
  width: number,
  height: number,
  entries: { name: string; color: string; dashed?: boolean }[],
  position: LegendPosition = "top-right",
): string[] {
  const rowH = 14;
  const boxH = entries.length * rowH + 6;
  const boxW = 30 + Math.max(0, ...entries.map((e) => e.name.length)) * 6;
  const x = position === "top-left" ? MARGIN.left + 8 + boxW : width - MARGIN.right - 8;
  const top = position === "bottom-right" ? height - MARGIN.bottom - boxH - 4 : MARGIN.top + 2;
  let y = top + 10;
  const out: string[] = [
    `<rect x="${x - boxW}" y="${top}" width="${boxW + 4}" height="${boxH}" fill="#ffffff" ` +
    `fill-opacity="0.85" stroke="#ddd"/>`,
  ];
  for (const entry of entries) {
    const dash = entry.dashed ? ' stroke-dasharray="4 3"' : "";
    out.push(
      `<line x1="${x - 18}" y1="${y}" x2="${x}" y2="${y}" stroke="${entry.color}" ` +
        `stroke-width="2.5"${dash}/>`,
      `<text x="${x - 22}" y="${y + 4}" text-anchor="end" font-size="10" ${FONT}>` +
        `${escapeXml(entry.name)}</text>`,
    );
    y += rowH;
  }
  return out;
}

function f(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** Renders a line chart as a standalone SVG document string. */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 480;
  const height = options.height ?? 300;
  const all = options.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]).filter((x) => !options.xLog || x > 0);
  const ys = all.map((p) => p[1]);
  const xLo = options.xMin ?? (xs.length ? Math.min(...xs) : options.xLog ? 1 : 0);
  const xHi = options.xMax ?? (xs.length ? Math.max(...xs) : xLo + 1);
  const yTicksRaw = niceTicks(
    options.yMin ?? Math.min(0, ...ys),
    options.yMax ?? Math.max(...ys, 1),
  );
  const yLo = options.yMin ?? yTicksRaw[0]!;
  const yHi = options.yMax ?? yTicksRaw[yTicksRaw.length - 1]!;
  const xTicksRaw = options.xLog ? logTicks(xLo, xHi) : niceTicks(xLo, xHi);
  const xa = options.xLog ? xTicksRaw[0]! : options.xMin ?? xTicksRaw[0]!;
  const xb = options.xLog ? xTicksRaw[xTicksRaw.length - 1]! : options.xMax ??
    xTicksRaw[xTicksRaw.length - 1]!;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const tx = (x: number): number => {
    if (options.xLog) {
      const v = Math.log10(Math.max(x, xa));
      return MARGIN.left + (v - Math.log10(xa)) / (Math.log10(xb) - Math.log10(xa)) * plotW;
    }
    return MARGIN.left + (x - xa) / (xb - xa || 1) * plotW;
  };
  const ty = (y: number): number => MARGIN.top + plotH - (y - yLo) / (yHi - yLo || 1) * plotH;
  const body = axes(
    width,
    height,
    xTicksRaw.filter((t) => t >= xa && t <= xb).map((t) => ({ at: tx(t), label: formatTick(t) })),
    yTicksRaw.filter((t) => t >= yLo && t <= yHi).map((t) => ({ at: ty(t), label: formatTick(t) })),
    options.xLabel,
    options.yLabel,
  );
  const entries = options.series.map((s, i) => ({
    name: s.name,
    color: s.color ?? PALETTE[i % PALETTE.length]!,
    ...(s.dashed ? { dashed: true } : {}),
  }));
  options.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map((p, j) => `${j === 0 ? "M" : "L"}${f(tx(p[0]))},${f(ty(p[1]))}`)
      .join(" ");
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : "";
    body.push(
      `<path d="${d}" fill="none" stroke="${entries[i]!.color}" stroke-width="1.8"${dash}/>`,
    );
    if (s.points.length === 1) {
      const [x, y] = s.points[0]!;
      body.push(`<circle cx="${f(tx(x))}" cy="${f(ty(y))}" r="3" fill="${entries[i]!.color}"/>`);
    }
  });
  body.push(...legend(width, height, entries, options.legend));
  return frame(width, height, options.title, body);
}

/** Renders a grouped bar chart as a standalone SVG document string. */
export function barChart(options: BarChartOptions): string {
  const width = options.width ?? 480;
  const height = options.height ?? 300;
  const values = options.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const ticks = niceTicks(0, options.yMax ?? Math.max(...values, options.reference?.value ?? 0, 1));
  const yHi = options.yMax ?? ticks[ticks.length - 1]!;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const ty = (y: number): number => MARGIN.top + plotH - Math.min(y, yHi) / yHi * plotH;
  const groupW = plotW / Math.max(1, options.groups.length);
  const barW = groupW * 0.8 / Math.max(1, options.series.length);
  const body = axes(
    width,
    height,
    options.groups.map((g, i) => ({ at: MARGIN.left + groupW * (i + 0.5), label: g })),
    ticks.filter((t) => t <= yHi).map((t) => ({ at: ty(t), label: formatTick(t) })),
    "",
    options.yLabel,
  );
  const entries = options.series.map((s, i) => ({
    name: s.name,
    color: s.color ?? PALETTE[i % PALETTE.length]!,
  }));
  options.series.forEach((s, i) => {
    s.values.forEach((v, g) => {
      if (v === null) return;
      const x = MARGIN.left + groupW * g + groupW * 0.1 + barW * i;
      const y = ty(v);
      body.push(
        `<rect x="${f(x)}" y="${f(y)}" width="${f(barW * 0.92)}" ` +
          `height="${f(MARGIN.top + plotH - y)}" fill="${entries[i]!.color}">` +
          `<title>${escapeXml(`${s.name} ${options.groups[g]}: ${v}`)}</title></rect>`,
      );
    });
  });
  if (options.reference) {
    const y = ty(options.reference.value);
    body.push(
      `<line x1="${MARGIN.left}" y1="${f(y)}" x2="${width - MARGIN.right}" y2="${f(y)}" ` +
        `stroke="#c00" stroke-dasharray="6 3"/>`,
      `<text x="${MARGIN.left + 4}" y="${f(y - 4)}" font-size="10" fill="#c00" ${FONT}>` +
        `${escapeXml(options.reference.label)}</text>`,
    );
  }
  body.push(...legend(width, height, entries, options.legend));
  return frame(width, height, options.title, body);
}

/**
 * Lays standalone SVG charts out in a grid of `columns`, under an optional title, as one SVG
 * document. Every panel keeps its own size; rows are as tall as their tallest panel.
 */
export function chartGrid(panels: readonly string[], columns: number, title = ""): string {
  const sizes = panels.map((svg) => {
    const w = Number(/width="([\d.]+)"/.exec(svg)?.[1] ?? 480);
    const h = Number(/height="([\d.]+)"/.exec(svg)?.[1] ?? 300);
    return { w, h };
  });
  const cols = Math.max(1, Math.min(columns, panels.length));
  const colW: number[] = [];
  const rowH: number[] = [];
  sizes.forEach((s, i) => {
    const c = i % cols;
    const r = Math.floor(i / cols);
    colW[c] = Math.max(colW[c] ?? 0, s.w);
    rowH[r] = Math.max(rowH[r] ?? 0, s.h);
  });
  const head = title ? 30 : 0;
  const width = colW.reduce((a, b) => a + b, 0);
  const height = head + rowH.reduce((a, b) => a + b, 0);
  const out: string[] = [];
  if (title) {
    out.push(
      `<text x="${width / 2}" y="21" text-anchor="middle" font-size="16" font-weight="bold" ` +
        `${FONT}>${escapeXml(title)}</text>`,
    );
  }
  panels.forEach((svg, i) => {
    const c = i % cols;
    const r = Math.floor(i / cols);
    const x = colW.slice(0, c).reduce((a, b) => a + b, 0);
    const y = head + rowH.slice(0, r).reduce((a, b) => a + b, 0);
    out.push(svg.replace("<svg ", `<svg x="${x}" y="${y}" `));
  });
  return svgDocument(width, height, out);
}
