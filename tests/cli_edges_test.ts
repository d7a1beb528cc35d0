/**
 * Edges of the CLI and of the API a user hits first (issue 11, "Found"): wrong types, an
 * unresolvable --listen, a self seed, a seed that does not resolve yet, binary payloads.
 */
import assert from "node:assert/strict";
import { GossipError } from "../lib/errors.ts";
import { GossipNode } from "../lib/node/node.ts";
import { Engine } from "../lib/engine/engine.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { CLI, type CliProc, ROOT, runCli, spawnCli, untilJoined } from "./cli_spawn.ts";
import { until } from "./until.ts";

function assertGossipError(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof GossipError, `a GossipError, not ${error}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("publish() refuses a string, null and bad flags with a GossipError saying what to pass", async () => {
  await using node = await GossipNode.start({ listen: "127.0.0.1:0" });
  const publish = node.publish.bind(node) as (data: unknown, flags?: unknown) => unknown;
  assertGossipError(() => publish("hello"), "invalid_argument", /string "hello".*TextEncoder/);
  assertGossipError(
    () => publish(null),
    "invalid_argument",
    /Cannot publish null: pass .*Uint8Array/,
  );
  assertGossipError(() => publish([1, 2]), "invalid_argument", /an array/);
  assertGossipError(() => publish(new ArrayBuffer(4)), "invalid_argument", /new Uint8Array/);
  assertGossipError(() => publish(new Uint8Array(1), 300), "invalid_argument", /flags/);
  assert.equal(node.stats().engine.published, 0, "nothing was sent");
  const engine = new Engine({ rng: seededPrng(1) });
  assertGossipError(
    () => (engine.publish as (d: unknown, n: number) => unknown)("hi", 0),
    "invalid_argument",
    /Uint8Array/,
  );
});

Deno.test("GossipNode.start() refuses options of the wrong type with the option's name", async () => {
  const start = GossipNode.start as (options: unknown) => Promise<GossipNode>;
  const cases: [unknown, RegExp][] = [
    [null, /options of GossipNode.start\(\): got null/],
    ["127.0.0.1:0", /got the string/],
    [{ listen: 7000 }, /listen: got the number 7000; pass a string/],
    [{ seeds: "10.0.0.1:1" }, /seeds: got .*array of strings/],
    [{ seeds: [1] }, /seeds/],
    [{ fanout: "3" }, /fanout: the string "3" is not a whole number/],
    [{ history: "all" }, /history/],
    [{ ordered: "yes" }, /ordered/],
    [{ stateDir: 5 }, /stateDir/],
    [{ nodeId: -1 }, /nodeId/],
  ];
  for (const [options, pattern] of cases) {
    await assert.rejects(start(options), (error: unknown) => {
      assert.ok(error instanceof GossipError, `${JSON.stringify(options)}: ${error}`);
      assert.equal(error.code, "invalid_option");
      assert.match(error.message, pattern);
      return true;
    });
  }
});

Deno.test("the CLI exits 2 with one line, no stack, for an unresolvable --listen host", async () => {
  // Full net permission, so the failure is the name lookup rather than the permission check.
  const output = await new Deno.Command("deno", {
    args: ["run", "--allow-net", CLI, "--listen", "no-such-host.invalid:7000"],
    cwd: ROOT,
    stdin: "null",
  }).output();
  const result = { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
  assert.equal(result.code, 2);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /^starling: Cannot listen on no-such-host\.invalid:7000: .*resolves/);
  assert.doesNotMatch(result.stderr, /\n\s+at |Uncaught/);
  // Without permission for that host: one line and exit 2 as well.
  const denied = await runCli(["--listen", "no-such-host.invalid:7000"]);
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /^starling: Cannot listen on no-such-host\.invalid:7000: [^\n]*\n$/);
});

Deno.test("the CLI warns about and ignores itself as a seed", async () => {
  const probe = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const self = `127.0.0.1:${port}`;
  const node = await spawnCli(["--listen", self, "--seed", self]);
  try {
    const warning = await node.waitErr((l) => l.includes("Ignoring seed"), 10_000);
    assert.match(
      warning,
      new RegExp(`Ignoring seed "?${self.replaceAll(".", "\\.")}"?: it is this node's own address`),
    );
  } finally {
    assert.equal(await node.stop(), 0, "the node ran on and closed cleanly");
  }
});

Deno.test("the CLI retries a seed that does not resolve instead of staying alone", async () => {
  const node = await spawnCli(["--seed", "no-such-host.invalid:7000"]);
  try {
    await node.waitErr((l) => /do not resolve yet; retrying in \d+ ms/.test(l), 10_000);
  } finally {
    assert.equal(await node.stop(), 0);
  }
});

Deno.test("a seed that resolves only later is retried with backoff and joined", async () => {
  await using a = await GossipNode.start({ listen: "127.0.0.1:0" });
  const port = a.address.split(":")[1];
  let lookups = 0;
  const resolver = (_name: string, type: "A" | "AAAA") => {
    if (type === "AAAA") return Promise.reject(new Error("no AAAA"));
    lookups++;
    return lookups < 3 ? Promise.reject(new Error("not yet")) : Promise.resolve(["127.0.0.1"]);
  };
  await using b = await GossipNode.start({
    listen: "127.0.0.1:0",
    seeds: [`seed.test:${port}`],
    resolver,
    rejoinBackoffMs: 20,
    rejoinBackoffMaxMs: 100,
  });
  await until(
    () => b.activePeers().includes(a.address),
    10_000,
    "b joins a once the name resolves",
  );
  assert.ok(b.stats().node.seedRetries >= 2, `retried ${b.stats().node.seedRetries} times`);
});

async function pair(argsA: string[], argsB: string[]): Promise<[CliProc, CliProc]> {
  const a = await spawnCli(argsA);
  const b = await spawnCli([...argsB, "--seed", a.address]);
  return [a, b];
}

Deno.test("the CLI sends and prints binary payloads: raw text bytes, base64 and hex", async () => {
  const [a, b] = await pair(["--json"], ["--format", "base64"]);
  let c: CliProc | undefined;
  try {
    c = await spawnCli(["--format", "hex", "--seed", a.address]);
    await untilJoined(a, [b, c]);
    // Invalid UTF-8 typed as text is sent byte for byte, not rewritten to U+FFFD.
    await a.stdin.write(new Uint8Array([0xff, 0xfe, 0x41, 0x0a]));
    await c.waitLine((l) => l === "fffe41", 20_000);
    await b.waitLine((l) => l === "//5B", 20_000);
    // base64 in, with a zero byte, CR and LF inside the payload; hex and --json out.
    const binary = new Uint8Array([0, 10, 13, 200, 65]);
    await b.stdin.write(new TextEncoder().encode(binary.toBase64() + "\n"));
    await c.waitLine((l) => l === "000a0dc841", 20_000);
    const json = JSON.parse(await a.waitLine((l) => l.includes(binary.toBase64()), 20_000));
    assert.equal(json.encoding, "base64", "--json carries non-UTF-8 payloads as base64");
    assert.deepEqual(Uint8Array.fromBase64(json.data), binary);
    // Valid UTF-8 stays text in --json.
    const utf8 = new TextEncoder().encode("héllo").toBase64();
    await b.stdin.write(new TextEncoder().encode(utf8 + "\n"));
    const text = JSON.parse(await a.waitLine((l) => l.includes("héllo"), 20_000));
    assert.equal(text.encoding, "utf8");
    // A line that is not base64 is refused with one line, and the node carries on.
    await b.stdin.write(new TextEncoder().encode("not base64!\n"));
    await b.waitErr((l) => l.includes("line not sent: not valid base64"), 10_000);
  } finally {
    for (const proc of [a, b, c]) if (proc) assert.equal(await proc.stop(), 0);
  }
});
