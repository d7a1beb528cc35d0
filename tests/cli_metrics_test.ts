import assert from "node:assert/strict";
import { type CliProc, runCli, spawnCli } from "./cli_spawn.ts";
import { until } from "./until.ts";

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

Deno.test("the CLI serves Prometheus metrics with --metrics and stops them on SIGTERM", async () => {
  const procs: CliProc[] = [];
  let url = "";
  try {
    const a = await spawnCli(["--interval", "200", "--metrics", "127.0.0.1:0"]);
    procs.push(a);
    procs.push(await spawnCli(["--interval", "200", "--seed", a.address]));
    const line = await a.waitErr((l) => l.startsWith("starling metrics on "), 5000);
    url = line.slice("starling metrics on ".length);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    // Wait (bounded) until the peer's datagrams show up in the counters.
    let text = "";
    await until(
      async () => {
        const response = await fetch(url);
        assert.equal(response.status, 200);
        assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
        text = await response.text();
        return /^starling_datagrams_in_total [1-9]/m.test(text);
      },
      20_000,
      () => `no datagram counted:\n${text}`,
    );
    for (
      const family of [
        "starling_datagrams_out_total",
        "starling_bytes_in_total",
        "starling_delivered_total",
        "starling_duplicates_total",
        "starling_cache_entries",
        "starling_membership_active_view",
        "starling_transport_received_total",
        "starling_uptime_seconds",
      ]
    ) {
      assert.match(text, new RegExp(`^# TYPE ${family} (counter|gauge)$`, "m"), family);
    }
    assert.match(text, /^starling_frames_in_total\{type="[A-Za-z]+"\} [1-9]/m);
    for (const l of text.trimEnd().split("\n")) {
      const name = l.startsWith("#") ? l.split(" ")[2]! : l.split(/[{ ]/)[0]!;
      assert.match(name, NAME, l);
    }
  } finally {
    for (const proc of procs) assert.equal(await proc.stop(), 0, "SIGTERM exits cleanly");
  }
  // The endpoint closed with the node.
  await assert.rejects(fetch(url));
});

Deno.test("the CLI exits 2 with one stderr line when --metrics cannot be served", async () => {
  for (const address of ["localhost", "127.0.0.1:99999"]) {
    const result = await runCli(["--metrics", address]);
    assert.equal(result.code, 2, address);
    assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /--metrics/);
  }
  // A port already taken: the node started but cannot serve; it exits 2 all the same.
  const holder = await spawnCli(["--metrics", "127.0.0.1:0"]);
  try {
    const line = await holder.waitErr((l) => l.startsWith("starling metrics on "), 5000);
    const taken = new URL(line.slice("starling metrics on ".length)).host;
    const result = await runCli(["--metrics", taken]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /Cannot serve metrics on/);
  } finally {
    assert.equal(await holder.stop(), 0);
  }
});
