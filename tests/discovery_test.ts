import assert from "node:assert/strict";
import {
  discoverAll,
  dnsDiscovery,
  functionDiscovery,
  staticDiscovery,
} from "../lib/discovery/discovery.ts";
import { parseDiscovery } from "../lib/discovery/parse.ts";
import type { DnsResolver } from "../lib/discovery/resolve.ts";
import { resolveAddresses } from "../lib/discovery/resolve.ts";
import { GossipError } from "../lib/errors.ts";
import { captureLogs, logText } from "./log_capture.ts";

const fakeDns: DnsResolver = (name, type) => {
  const zone: Record<string, { A: string[]; AAAA: string[] }> = {
    "peers": { A: ["10.0.0.1", "10.0.0.2"], AAAA: ["fd00::1"] },
    "v4only": { A: ["10.9.9.9"], AAAA: [] },
  };
  const entry = zone[name];
  return entry ? Promise.resolve(entry[type]) : Promise.reject(new Error(`NXDOMAIN ${name}`));
};

async function withLogs<T>(run: () => Promise<T>): Promise<{ result: T; logs: string[] }> {
  const { result, logs } = await captureLogs(run);
  return { result, logs: logs.map(logText) };
}

Deno.test("staticDiscovery() returns valid addresses and logs the bad ones", async () => {
  const { result, logs } = await withLogs(() =>
    staticDiscovery(["10.0.0.1:7946", "[fd00::2]:7946", "nope", "10.0.0.1:0", "1.2.3.4:70000"])
      .discover()
  );
  assert.deepEqual(result.sort(), ["10.0.0.1:7946", "[fd00::2]:7946"]);
  assert.equal(logs.length, 3, logs.join("\n"));
  assert.ok(logs.some((line) => line.includes("nope")));
});

Deno.test("staticDiscovery() resolves host names to every A and AAAA record", async () => {
  const found = await staticDiscovery(["peers:7000", "10.0.0.5:1"], fakeDns).discover();
  assert.deepEqual(found.sort(), [
    "10.0.0.1:7000",
    "10.0.0.2:7000",
    "10.0.0.5:1",
    "[fd00::1]:7000",
  ]);
});

Deno.test("dnsDiscovery() yields all records with the port", async () => {
  const found = await dnsDiscovery("peers", 7946, fakeDns).discover();
  assert.deepEqual(found.sort(), ["10.0.0.1:7946", "10.0.0.2:7946", "[fd00::1]:7946"]);
  assert.deepEqual(await dnsDiscovery("v4only", 1, fakeDns).discover(), ["10.9.9.9:1"]);
});

Deno.test("dnsDiscovery() turns a failed lookup into [] and a log line", async () => {
  const { result, logs } = await withLogs(() => dnsDiscovery("missing", 7946, fakeDns).discover());
  assert.deepEqual(result, []);
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /missing/);
});

Deno.test("dnsDiscovery() of localhost finds the loopback address with real DNS", async () => {
  // The test runner's net permission is limited to loopback, so resolve in a child process.
  const code = `
    import { dnsDiscovery } from "./lib/discovery/discovery.ts";
    console.log(JSON.stringify(await dnsDiscovery("localhost", 7946).discover()));`;
  const output = await new Deno.Command("deno", {
    args: ["eval", "--quiet", code],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "null",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const found: string[] = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.ok(found.includes("127.0.0.1:7946"), JSON.stringify(found));
});

Deno.test("functionDiscovery() validates results and survives a throwing function", async () => {
  let calls = 0;
  const flaky = functionDiscovery(() => {
    calls++;
    if (calls === 1) throw new Error("registry down");
    return ["10.0.0.3:1", "garbage", 42 as unknown as string];
  });
  const { result: first, logs } = await withLogs(() => flaky.discover());
  assert.deepEqual(first, []);
  assert.match(logs[0]!, /registry down/);
  assert.deepEqual(await flaky.discover(), ["10.0.0.3:1"]);
  const notArray = functionDiscovery(() => "10.0.0.1:1" as unknown as string[]);
  assert.deepEqual(await notArray.discover(), []);
});

Deno.test("discoverAll() merges sources, dedupes and skips one that throws", async () => {
  const broken = { name: "broken", discover: () => Promise.reject(new Error("boom")) };
  const sneaky = { name: "sneaky", discover: () => Promise.resolve(["10.0.0.1:1", "bad"]) };
  const { result } = await withLogs(() =>
    discoverAll([staticDiscovery(["10.0.0.1:1", "10.0.0.2:2"]), broken, sneaky])
  );
  assert.deepEqual(result.sort(), ["10.0.0.1:1", "10.0.0.2:2"]);
});

Deno.test("parseDiscovery() reads dns: and static: specs and rejects others", async () => {
  assert.equal(parseDiscovery("dns:peers:7946").name, "dns:peers:7946");
  const fixed = parseDiscovery("static:10.0.0.1:1, 10.0.0.2:2");
  assert.deepEqual((await fixed.discover()).sort(), ["10.0.0.1:1", "10.0.0.2:2"]);
  for (const bad of ["dns:peers", "dns:", "static:", "static:a", "srv:x:1", "peers:7946"]) {
    assert.throws(() => parseDiscovery(bad), GossipError, bad);
  }
});

Deno.test("resolveAddresses() normalises and dedupes", async () => {
  const found = await resolveAddresses([" 10.0.0.1:1", "10.0.0.1:1", "[::1]:5"], "test");
  assert.deepEqual(found, ["10.0.0.1:1", "[::1]:5"]);
});
