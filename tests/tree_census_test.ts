import assert from "node:assert/strict";
import { type CensusResult, handoverExtra, TreeCensus } from "../lib/broadcast/tree_census.ts";
import { TreeLinks } from "../lib/broadcast/tree_links.ts";
import { decodeDatagram, writeFrame } from "../lib/wire/codec.ts";
import { CensusKind, FrameType, type TreeCensusFrame } from "../lib/wire/frame.ts";
import { runScenario } from "../lib/sim/scenario.ts";
import { harness } from "./engine_harness.ts";

const parent = "10.0.0.1:1", a = "10.0.0.2:1", b = "10.0.0.3:1", c = "10.0.0.4:1";
const ANCHOR = 77;

function report(kind: number, nodes: number, depthSum: number, extra = 0): TreeCensusFrame {
  return { type: FrameType.TreeCensus, kind, anchor: ANCHOR, epoch: 3, nodes, depthSum, extra };
}

/** A census at a node with `neighbours`, plus what it handed up. */
function setup(neighbours: string[]) {
  const h = harness({ graftTimeoutMs: 150 });
  const links = new TreeLinks(8);
  links.sync(neighbours);
  const results: CensusResult[] = [];
  const handovers: TreeCensusFrame[] = [];
  const census = new TreeCensus(
    h.ctx,
    links,
    (result) => results.push(result),
    (frame) => handovers.push(frame),
  );
  return { h, census, results, handovers };
}

Deno.test("TreeCensus: the frame round-trips, and an unknown kind is bad_field", () => {
  const frame = report(CensusKind.Partial, 70_000, 3_000_000_000, 200);
  const bytes = new Uint8Array(64);
  bytes[0] = 1;
  const end = writeFrame(frame, bytes, 1);
  assert.equal(end, 19, "18 bytes after the version byte");
  const decoded = decodeDatagram(bytes.subarray(0, end));
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.frames, [frame]);
  bytes[2] = 3;
  assert.deepEqual(decodeDatagram(bytes.subarray(0, end)), { ok: false, reason: "bad_field" });
});

Deno.test("TreeCensus: a node says hello, then reports its whole subtree once every neighbour answered", () => {
  const { h, census } = setup([parent, a, b, c]);
  census.rerooted(ANCHOR, 3, parent, 2, 0);
  assert.deepEqual(h.flush().map((s) => [s.to, s.frame]), [
    [parent, report(CensusKind.Partial, 1, 2)],
  ], "hello: the parent learns at once it has a child");
  census.copy(ANCHOR, 3, a, 3, 5); // a got the flood elsewhere: not a child
  census.onFrame(report(CensusKind.Partial, 1, 3), b, 6);
  census.onFrame(report(CensusKind.Report, 4, 16, 2), b, 30);
  assert.equal(h.flush().length, 0, "c has not answered yet");
  census.onFrame(report(CensusKind.Report, 1, 3), c, 31);
  assert.deepEqual(h.flush().map((s) => [s.to, s.frame]), [
    [parent, report(CensusKind.Report, 6, 2 + 16 + 3, 3)],
  ]);
});

Deno.test("TreeCensus: a hello that arrives after the whole report does not undo it", () => {
  const { h, census } = setup([parent, a]);
  census.rerooted(ANCHOR, 3, parent, 1, 0);
  h.flush();
  census.onFrame(report(CensusKind.Report, 5, 20, 2), a, 40);
  census.onFrame(report(CensusKind.Partial, 1, 2), a, 41);
  assert.deepEqual(census.total(), { nodes: 6, depthSum: 21, height: 3 });
  assert.deepEqual(h.flush().map((s) => s.frame.type === FrameType.TreeCensus && s.frame.kind), [
    CensusKind.Report,
  ]);
});

Deno.test("TreeCensus: reports from strangers, from the parent or for another census count for nothing", () => {
  const { census } = setup([parent, a]);
  census.rerooted(ANCHOR, 3, parent, 1, 0);
  census.onFrame(report(CensusKind.Report, 900_000, 1), "10.9.9.9:1", 1);
  census.onFrame(report(CensusKind.Report, 900_000, 1), parent, 1);
  census.onFrame({ ...report(CensusKind.Report, 900_000, 1), epoch: 2 }, a, 1);
  census.copy(ANCHOR, 3, a, 2, 2);
  census.onFrame(report(CensusKind.Report, 900_000, 1), a, 3); // a sent a copy: not a child
  assert.deepEqual(census.total(), { nodes: 1, depthSum: 1, height: 0 });
  assert.equal(census.counters.reportsIgnored, 4);
});

Deno.test("TreeCensus: a copy over a one-sided link is answered with 'no child', and the answer counts", () => {
  const stranger = "10.9.9.9:1";
  const { h, census } = setup([a, b]);
  census.rerooted(ANCHOR, 3, stranger, 1, 0); // the stranger holds the link, this node does not
  assert.deepEqual(h.flush().map((s) => [s.to, s.frame]), [[
    stranger,
    report(CensusKind.Report, 0, 0),
  ]]);
  census.copy(ANCHOR, 3, a, 2, 5); // the first neighbour's copy: a becomes the parent
  assert.deepEqual(h.flush().map((s) => [s.to, s.frame]), [[a, report(CensusKind.Partial, 1, 2)]]);
  census.copy(ANCHOR, 3, b, 2, 6); // this node forwarded nothing: b is told, not left waiting
  assert.deepEqual(h.flush().map((s) => [s.to, s.frame]), [
    [b, report(CensusKind.Report, 0, 0)],
    [a, report(CensusKind.Report, 1, 2)],
  ]);
  const other = setup([parent, a, b]);
  other.census.rerooted(ANCHOR, 3, parent, 1, 0);
  other.census.copy(ANCHOR, 3, a, 2, 5);
  other.h.flush();
  other.census.onFrame(report(CensusKind.Report, 0, 0), b, 9);
  assert.deepEqual(other.h.flush().map((s) => s.frame), [report(CensusKind.Report, 1, 1)]);
});

Deno.test("TreeCensus: a count still missing a report at the deadline goes up as partial", () => {
  const second = setup([parent, a]);
  second.census.rerooted(ANCHOR, 3, parent, 1, 0);
  second.census.onFrame(report(CensusKind.Partial, 1, 2), a, 5); // a is a child, never whole
  second.h.flush();
  assert.equal(second.census.tick(100), 300, "waits for a's whole report until the deadline");
  second.census.tick(300);
  assert.deepEqual(second.h.flush().map((s) => s.frame), [report(CensusKind.Partial, 2, 3, 1)]);
});

Deno.test("TreeCensus: the root hands its figures and its largest child to the role", () => {
  const { census, results } = setup([a, b]);
  census.rerooted(ANCHOR, 3, undefined, 0, 0);
  census.onFrame(report(CensusKind.Report, 10, 30, 4), a, 50);
  census.tick(100);
  assert.equal(results.length, 0);
  census.onFrame(report(CensusKind.Report, 30, 100, 6), b, 60);
  assert.deepEqual(results, [{
    epoch: 3,
    total: { nodes: 41, depthSum: 130, height: 7 },
    largest: b,
    complete: true,
  }]);
  // One child silent until the deadline (600 ms): the root decides on the rest.
  const lost = setup([a, b]);
  lost.census.rerooted(ANCHOR, 4, undefined, 0, 0);
  lost.census.onFrame({ ...report(CensusKind.Report, 10, 30, 4), epoch: 4 }, a, 50);
  assert.equal(lost.census.tick(599), 600);
  lost.census.tick(600);
  assert.deepEqual(lost.results.map((r) => [r.total.nodes, r.complete]), [[11, false]]);
});

Deno.test("TreeCensus: a handover walks down the largest subtrees, and only from the parent", () => {
  const { h, census, handovers } = setup([parent, a, b]);
  census.rerooted(ANCHOR, 3, parent, 1, 0);
  census.onFrame(report(CensusKind.Report, 3, 9, 1), a, 20);
  census.onFrame(report(CensusKind.Report, 8, 30, 2), b, 21);
  h.flush();
  const handover = { ...report(CensusKind.Handover, 100, 500), extra: handoverExtra(0, 1) };
  census.onFrame(handover, a, 30);
  assert.equal(h.flush().length + handovers.length, 0, "not from the parent: ignored");
  census.onFrame(handover, parent, 31);
  assert.deepEqual(h.flush().map((s) => [s.to, s.frame]), [
    [b, { ...handover, extra: handoverExtra(0, 0) }],
  ]);
  assert.equal(handovers.length, 0);
  census.onFrame({ ...handover, extra: handoverExtra(0, 0) }, parent, 32);
  assert.equal(handovers.length, 1, "no hops left: this node takes the role");
});

Deno.test("TreeLinks: a handover's higher term beats a smaller id; equal terms go to the smaller id", () => {
  const links = new TreeLinks(8);
  assert.ok(links.claim(50, 0));
  assert.equal(links.claim(900, 1, 1), true, "term 1 wins over a smaller id at term 0");
  assert.equal(links.claim(40, 2, 0), false, "a claim at an older term loses");
  assert.equal(links.claim(60, 3, 1), true, "same term: the smaller id wins");
  assert.equal(links.claim(70, 4, 1), false);
  assert.deepEqual([links.anchor, links.term], [60, 1]);
});

Deno.test("TreeCensus: at 1,000 nodes the role walks toward the centre and first messages take fewer hops", () => {
  const r = runScenario({ nodes: 1000, seed: 5, warmupMessages: 5, messages: 20 });
  assert.equal(r.delivered_fraction, 1);
  // The node that claimed first sits 10 hops from its farthest node, and first messages of new
  // origins, which travel a copy of its tree, took up to 24 hops. After the descent none needs 19.
  assert.ok(r.max_hops < 19, `max hops ${r.max_hops}`);
});
