import assert from "node:assert/strict";
import { CliUsageError, parseCliArgs, USAGE } from "../lib/cli/args.ts";
import { formatDelivery } from "../lib/cli/format.ts";
import { readLines } from "../lib/cli/lines.ts";
import { type CliProc, runCli, spawnCli } from "./cli_spawn.ts";

/** A CLI node printing JSON lines, with fast anti-entropy rounds. */
const spawnNode = (args: string[]) => spawnCli(["--json", "--interval", "200", ...args]);

Deno.test("parseCliArgs() reads every flag", () => {
  const config = parseCliArgs([
    "--listen=127.0.0.1:7001",
    "--seed",
    "127.0.0.1:7000",
    "--seed",
    "peers:7000",
    "--discover",
    "dns:peers:7946",
    "--discover",
    "static:10.0.0.1:1,10.0.0.2:2",
    "--json",
    "--fanout",
    "4",
    "--max-datagram",
    "1400",
    "--max-message-size",
    "100000",
    "--interval",
    "250",
    "--exit-on-eof",
  ]);
  assert.equal(config.listen, "127.0.0.1:7001");
  assert.deepEqual(config.seeds, ["127.0.0.1:7000", "peers:7000"]);
  assert.deepEqual(config.discovery.map((d) => d.name), [
    "dns:peers:7946",
    "static:10.0.0.1:1,10.0.0.2:2",
  ]);
  assert.equal(config.json, true);
  assert.equal(config.fanout, 4);
  assert.equal(config.maxDatagramSize, 1400);
  assert.equal(config.maxMessageSize, 100000);
  assert.equal(config.antiEntropyIntervalMs, 250);
  assert.equal(config.exitOnEof, true);
});

Deno.test("parseCliArgs() defaults to 127.0.0.1:0 and no seeds", () => {
  const config = parseCliArgs([]);
  assert.equal(config.listen, "127.0.0.1:0");
  assert.deepEqual(config.seeds, []);
  assert.equal(config.fanout, undefined);
  assert.equal(config.json, false);
});

Deno.test("parseCliArgs() rejects bad flags and values with one-line messages", () => {
  const bad = [
    ["--bogus"],
    ["--listen", "nowhere"],
    ["--seed", "1.2.3.4:99999"],
    ["--fanout", "0"],
    ["--fanout", "x"],
    ["--max-datagram", "10"],
    ["--max-message-size", "1048577"],
    ["--discover", "ldap:x"],
    ["--discover", "dns:name"],
    ["--listen"],
    ["positional"],
  ];
  for (const args of bad) {
    assert.throws(() => parseCliArgs(args), (error: unknown) => {
      assert.ok(error instanceof CliUsageError, `${args.join(" ")} throws CliUsageError`);
      assert.ok(!error.message.includes("\n"), "one line");
      return true;
    });
  }
});

Deno.test("USAGE documents every flag", () => {
  for (
    const flag of [
      "--listen",
      "--seed",
      "--discover",
      "--json",
      "--fanout",
      "--max-datagram",
      "--max-message-size",
      "--interval",
      "--exit-on-eof",
      "--log-level",
      "--help",
    ]
  ) {
    assert.ok(USAGE.includes(flag), flag);
  }
});

Deno.test("formatDelivery() prints text or a JSON line", () => {
  const delivery = {
    id: 0x00000000ab000002n,
    origin: 0xab,
    hops: 2,
    flags: 0,
    data: new TextEncoder().encode("hello\nworld"),
    from: "127.0.0.1:7001",
  };
  assert.equal(formatDelivery(delivery, false, 5), "hello world");
  const json = JSON.parse(formatDelivery(delivery, true, 5.04));
  assert.deepEqual(json, {
    id: "00000000ab000002",
    origin: "00000000ab",
    hops: 2,
    data: "hello\nworld",
    encoding: "utf8",
    from: "127.0.0.1:7001",
    t: 5,
  });
});

Deno.test("readLines() splits lines and reports over-long ones without buffering them", async () => {
  const enc = new TextEncoder();
  const stream = ReadableStream.from([
    enc.encode("one\r\ntw"),
    enc.encode("o\n" + "x".repeat(30)),
    enc.encode("x".repeat(30) + "\nthree"),
  ]);
  const items = [];
  for await (const item of readLines(stream, 20)) {
    items.push("line" in item ? { line: item.line } : item);
  }
  assert.deepEqual(items, [{ line: "one" }, { line: "two" }, { tooLong: 60 }, { line: "three" }]);
});

Deno.test("three CLI nodes: a line typed into one appears on the other two", async () => {
  const procs: CliProc[] = [];
  try {
    procs.push(await spawnNode(["--listen", "127.0.0.1:0"]));
    const seed = procs[0]!.address;
    assert.match(seed, /^127\.0\.0\.1:\d+$/);
    // The banner names the transport (deno.json turns the unstable net API on), so a fallback to
    // node:dgram shows without configuring logging.
    assert.match(
      procs[0]!.errLines[0]!,
      /^starling node [0-9a-f]{10} listening on 127\.0\.0\.1:\d+ \(UDP via Deno\.listenDatagram\)$/,
    );
    procs.push(await spawnNode(["--seed", seed]));
    procs.push(await spawnNode(["--seed", seed]));
    await procs[2]!.stdin.write(new TextEncoder().encode("hello from three\n"));
    for (const proc of procs.slice(0, 2)) {
      const line = await proc.waitLine((l) => l.includes("hello from three"), 20_000);
      const json = JSON.parse(line);
      assert.equal(json.data, "hello from three");
      assert.match(json.id, /^[0-9a-f]{16}$/);
      assert.ok(json.hops >= 1);
      assert.equal(typeof json.t, "number");
    }
  } finally {
    const codes = await Promise.all(procs.map((proc) => proc.stop()));
    for (const code of codes) assert.equal(code, 0, "SIGTERM closes the node cleanly");
  }
});

Deno.test("two CLI nodes: a 20,000-byte line travels as chunks and arrives whole", async () => {
  const procs: CliProc[] = [];
  try {
    procs.push(await spawnNode(["--listen", "127.0.0.1:0"]));
    procs.push(await spawnNode(["--seed", procs[0]!.address]));
    const text = "x".repeat(19_990) + " the end";
    await procs[1]!.stdin.write(new TextEncoder().encode(text + "\n"));
    const line = await procs[0]!.waitLine((l) => l.includes("the end"), 20_000);
    assert.equal(JSON.parse(line).data, text);
  } finally {
    await Promise.all(procs.map((proc) => proc.stop()));
  }
});

Deno.test("the CLI exits 2 with one stderr line on a bad flag", async () => {
  const output = await runCli(["--fanout", "many"]);
  assert.equal(output.code, 2);
  const stderr = output.stderr.trimEnd();
  assert.equal(stderr.split("\n").length, 1, stderr);
  assert.match(stderr, /--fanout many/);
  assert.equal(output.stdout.length, 0);
});
