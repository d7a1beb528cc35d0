import assert from "node:assert/strict";
import {
  barChart,
  chartGrid,
  escapeXml,
  formatTick,
  lineChart,
  logTicks,
  niceTicks,
} from "../bench/svg_chart.ts";

/** Coordinates of every path vertex in a chart. */
function vertices(svg: string): [number, number][] {
  const out: [number, number][] = [];
  for (const m of svg.matchAll(/<path d="([^"]+)"/g)) {
    for (const p of m[1]!.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)) {
      out.push([Number(p[1]), Number(p[2])]);
    }
  }
  return out;
}

Deno.test("niceTicks covers the range with 1/2/5 steps", () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 93, 5), [0, 20, 40, 60, 80, 100]);
  const t = niceTicks(13, 1234, 4);
  assert.ok(t[0]! <= 13 && t[t.length - 1]! >= 1234);
  assert.equal(t[1]! - t[0]!, 500);
  assert.ok(niceTicks(5, 5).length >= 2, "flat range still gets ticks");
});

Deno.test("logTicks gives powers of ten around the range", () => {
  assert.deepEqual(logTicks(3, 4000), [1, 10, 100, 1000, 10000]);
  assert.deepEqual(logTicks(10, 10), [10, 100]);
});

Deno.test("formatTick shortens large values", () => {
  assert.equal(formatTick(1500), "1500");
  assert.equal(formatTick(15000), "15k");
  assert.equal(formatTick(2_000_000), "2M");
  assert.equal(formatTick(0.25), "0.25");
});

Deno.test("escapeXml escapes markup", () => {
  assert.equal(escapeXml(`a<b & "c">`), "a&lt;b &amp; &quot;c&quot;&gt;");
});

Deno.test("lineChart maps data into the plot area, higher y drawn higher", () => {
  const svg = lineChart({
    title: "T <1>",
    xLabel: "x",
    yLabel: "y",
    width: 400,
    height: 300,
    series: [
      { name: "up", points: [[0, 0], [10, 1]] },
      { name: "flat", points: [[0, 0.5], [10, 0.5]], dashed: true },
    ],
  });
  assert.ok(svg.startsWith("<svg") && svg.endsWith("</svg>"));
  assert.ok(svg.includes("T &lt;1&gt;"), "title escaped");
  assert.ok(svg.includes(">up<") && svg.includes(">flat<"), "legend names");
  assert.ok(svg.includes("stroke-dasharray"), "dashed series");
  const pts = vertices(svg);
  assert.equal(pts.length, 4);
  for (const [x, y] of pts) {
    assert.ok(x >= 0 && x <= 400 && y >= 0 && y <= 300, `vertex ${x},${y} inside`);
  }
  const [a, b] = pts;
  assert.ok(b![0] > a![0], "larger x is further right");
  assert.ok(b![1] < a![1], "larger y is higher (smaller svg y)");
});

Deno.test("lineChart log axis spaces decades evenly", () => {
  const svg = lineChart({
    title: "log",
    xLabel: "ms",
    yLabel: "f",
    xLog: true,
    series: [{ name: "s", points: [[1, 0], [10, 0.5], [100, 1]] }],
  });
  const [p, q, r] = vertices(svg);
  assert.ok(Math.abs((q![0] - p![0]) - (r![0] - q![0])) < 0.5, "equal spacing per decade");
});

Deno.test("barChart draws one bar per non-null value, taller for larger values", () => {
  const svg = barChart({
    title: "bars",
    yLabel: "v",
    groups: ["a", "b"],
    series: [{ name: "s1", values: [1, 2] }, { name: "s2", values: [3, null] }],
    reference: { value: 2.5, label: "target" },
  });
  const bars = [...svg.matchAll(/<\/rect>/g)].length;
  assert.equal(bars, 3);
  assert.ok(svg.includes(">target<"));
  const heights = [
    ...svg.matchAll(
      /<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([\d.]+)" fill="#[0-9a-f]+">/g,
    ),
  ].map((m) => Number(m[1]));
  assert.deepEqual(heights.length, 3);
  assert.ok(heights[2]! > heights[1]! && heights[1]! > heights[0]!, "3 > 2 > 1");
});

Deno.test("chartGrid places panels side by side and below", () => {
  const panel = lineChart({
    title: "p",
    xLabel: "x",
    yLabel: "y",
    width: 200,
    height: 100,
    series: [{ name: "s", points: [[0, 0], [1, 1]] }],
  });
  const grid = chartGrid([panel, panel, panel], 2, "grid");
  assert.ok(grid.startsWith(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="230"`));
  assert.ok(grid.includes(`<svg x="200" y="30" `));
  assert.ok(grid.includes(`<svg x="0" y="130" `));
});
