import assert from "node:assert/strict";
import { parseCliArgs, USAGE } from "../lib/cli/args.ts";
import { readSigningKey } from "../lib/cli/keys.ts";
import { GossipError } from "../lib/errors.ts";
import { type CliProc, outside, runCli, scratchPath, spawnCli, untilJoined } from "./cli_spawn.ts";
import { until } from "./until.ts";

Deno.test("parseCliArgs() reads the security and metrics flags; USAGE lists them", () => {
  const config = parseCliArgs([
    "--key-file",
    "k.key",
    "--label",
    "prod",
    "--signing-key",
    "s.key",
    "--accept-publisher",
    "AAAA",
    "--accept-publisher",
    "BBBB",
    "--metrics",
    "127.0.0.1:9464",
  ]);
  assert.equal(config.keyFile, "k.key");
  assert.equal(config.label, "prod");
  assert.equal(config.signingKeyFile, "s.key");
  assert.deepEqual(config.acceptPublishers, ["AAAA", "BBBB"]);
  assert.equal(config.metrics, "127.0.0.1:9464");
  const plain = parseCliArgs([]);
  assert.equal(plain.keyFile, undefined);
  assert.deepEqual(plain.acceptPublishers, []);
  assert.throws(() => parseCliArgs(["--metrics", "9464"]), /--metrics 9464/);
  for (
    const flag of [
      "--key-file",
      "--label",
      "--signing-key",
      "--accept-publisher",
      "--metrics",
      "keygen",
    ]
  ) {
    assert.ok(USAGE.includes(flag), flag);
  }
});

Deno.test("readSigningKey() takes the last key line of a keygen --signing file", async () => {
  const read = (text: string) => () => Promise.resolve(text);
  assert.equal(await readSigningKey("f", read("# public\nPUB\n# private\nPRIV\n")), "PRIV");
  assert.equal(await readSigningKey("f", read("  ONLY  \r\n\r\n")), "ONLY");
  await assert.rejects(
    readSigningKey("f", read("# nothing\n\n")),
    (e: unknown) => e instanceof GossipError && /holds no key/.test(e.message),
  );
  await assert.rejects(
    readSigningKey("f", () => Promise.reject(new Error("gone"))),
    (e: unknown) =>
      e instanceof GossipError && e.message === "Cannot read signing key file f: gone",
  );
});

Deno.test("the CLI exits 2 with one stderr line on a bad key file or key", async () => {
  const cases: [string[], RegExp][] = [
    [["--key-file", "README.md"], /Invalid key file line/],
    [["--key-file", "no-such-file.key"], /Cannot read key file no-such-file\.key/],
    [["--signing-key", "README.md"], /Invalid signing key/],
    [["--accept-publisher", "xyz"], /Invalid publisher key/],
    [["keygen", "--bogus"], /--bogus/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args, ["--allow-read=."]);
    assert.equal(result.code, 2, args.join(" "));
    const stderr = result.stderr.trimEnd();
    assert.equal(stderr.split("\n").length, 1, stderr);
    assert.match(stderr, message);
    assert.equal(result.stdout, "");
  }
});

Deno.test("CLI keygen writes key files that sealed, signed CLI nodes load", async () => {
  const clusterKey = scratchPath("cluster.key");
  const otherKey = scratchPath("other.key");
  const signingKey = scratchPath("signing.key");
  const procs: CliProc[] = [];
  try {
    for (const [path, extra] of [[clusterKey, []], [otherKey, []], [signingKey, ["--signing"]]]) {
      const made = await runCli(["keygen", ...extra as string[], "--out", path as string], [
        `--allow-write=${path}`,
      ]);
      assert.equal(made.code, 0, made.stderr);
      assert.equal(made.stdout, "", "the key goes to the file only");
    }
    // keygen never overwrites a key file.
    const again = await runCli(["keygen", "--out", clusterKey], [`--allow-write=${clusterKey}`]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /pick a new file name/);

    const signingText = await outside(
      `console.log(Deno.readTextFileSync(${JSON.stringify(signingKey)}))`,
    );
    const publicKey = signingText.split("\n").filter((l) => l && !l.startsWith("#"))[0]!;
    assert.equal(publicKey.length, 44, "base64 of 32 bytes");

    const read = `--allow-read=${clusterKey},${otherKey},${signingKey}`;
    const common = ["--json", "--interval", "200", "--label", "cli-test"];
    const a = await spawnCli([
      ...common,
      "--key-file",
      clusterKey,
      "--signing-key",
      signingKey,
      "--metrics",
      "127.0.0.1:0",
    ], [read]);
    procs.push(a);
    const b = await spawnCli([
      ...common,
      "--key-file",
      clusterKey,
      "--accept-publisher",
      publicKey,
      "--seed",
      a.address,
    ], [read]);
    procs.push(b);
    const outsider = await spawnCli([...common, "--key-file", otherKey, "--seed", a.address], [
      read,
    ]);
    procs.push(outsider);

    const probes = await untilJoined(a, [b]);
    await a.stdin.write(new TextEncoder().encode("sealed and signed\n"));
    const line = await b.waitLine((l) => l.includes("sealed and signed"), 20_000);
    assert.equal(JSON.parse(line).data, "sealed and signed", "signature stripped");

    // The outsider's joins reach a, which refuses them: wait for the count on a's /metrics.
    const metricsLine = await a.waitErr((l) => l.startsWith("starling metrics on "), 5000);
    const url = metricsLine.slice("starling metrics on ".length);
    let text = "";
    await until(
      async () => {
        text = await (await fetch(url)).text();
        return /^starling_security_dropped_total\{reason="[a-z_]+"\} [1-9]/m.test(text);
      },
      20_000,
      () => `no security drop counted on a:\n${text}`,
    );
    assert.match(text, new RegExp(`^starling_signatures_signed_total ${probes + 1}$`, "m"));
    assert.deepEqual(outsider.lines, [], "the node with another key received nothing");
  } finally {
    for (const proc of procs) assert.equal(await proc.stop(), 0, "SIGTERM exits cleanly");
    await outside(
      `for (const p of ${
        JSON.stringify([clusterKey, otherKey, signingKey])
      }) { try { Deno.removeSync(p); } catch { /* not made */ } }`,
    );
  }
});
