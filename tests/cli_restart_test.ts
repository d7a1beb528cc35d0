/**
 * Once across restarts, with the real CLI: a node killed (SIGKILL or SIGTERM) and restarted on
 * the same address prints none of the messages published before, its own included, and every
 * new message exactly once. With --state-dir and --history cached it catches up on what was
 * published while it was down, still without repeating anything.
 */
import assert from "node:assert/strict";
import { type CliProc, outside, scratchPath, spawnCli } from "./cli_spawn.ts";
import { until } from "./until.ts";

const encode = (s: string): Uint8Array => new TextEncoder().encode(s);
const FAST = ["--interval", "200", "--json"];

function freePort(): number {
  const probe = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  return port;
}

async function metricsUrl(proc: CliProc): Promise<string> {
  const line = await proc.waitErr((l) => l.startsWith("starling metrics on "), 10_000);
  return line.slice("starling metrics on ".length);
}

/** Waits (bounded) until the metric `name` of the node at `url` reaches `atLeast`. */
async function waitMetric(
  url: string,
  name: string,
  target: number,
  compare: ">=" | "==" = ">=",
  context: () => string = () => "",
): Promise<number> {
  let text = "";
  let value = NaN;
  await until(
    async () => {
      text = await (await fetch(url)).text();
      value = Number(text.match(new RegExp(`^${name} (\\d+)$`, "m"))?.[1] ?? NaN);
      return compare === "==" ? value === target : value >= target;
    },
    30_000,
    () => {
      const figures = text.split("\n").filter((l) =>
        /^starling_(history|delivered|digests|frames_in|repairs|pulls)/.test(l)
      );
      return `${name} stayed at ${value}, not ${compare} ${target}${context()}; ${
        figures.join("; ")
      }`;
    },
  );
  return value;
}

const data = (line: string): string => JSON.parse(line).data;

const readMarks = (dir: string): string =>
  `console.log(Deno.readTextFileSync(${JSON.stringify(dir + "/delivery-marks.json")}))`;

async function publishAndWait(from: CliProc, to: CliProc, lines: string[]): Promise<void> {
  for (const line of lines) await from.stdin.write(encode(line + "\n"));
  for (const line of lines) await to.waitLine((l) => data(l) === line, 20_000);
}

async function restartScenario(signal: "SIGKILL" | "SIGTERM"): Promise<void> {
  const address = `127.0.0.1:${freePort()}`;
  const a = await spawnCli([...FAST, "--metrics", "127.0.0.1:0"]);
  const procs = [a];
  try {
    const bArgs = [...FAST, "--listen", address, "--seed", a.address, "--metrics", "127.0.0.1:0"];
    const b1 = await spawnCli(bArgs);
    procs.push(b1);
    await publishAndWait(a, b1, ["old a 1", "old a 2", "old a 3"]);
    await publishAndWait(b1, a, ["old b 1", "old b 2"]);
    // The restart is into a running cluster: a has left its own join window (a cluster that
    // starts together learns no floors from itself; see lib/broadcast/history_gate.ts).
    await waitMetric(await metricsUrl(a), "starling_broadcast_pending_join_window", 0, "==");
    if (signal === "SIGKILL") {
      b1.child.kill("SIGKILL");
      await b1.child.status;
    } else {
      assert.equal(await b1.stop(), 0);
    }
    procs.pop();
    const b2 = await spawnCli(bArgs);
    procs.push(b2);
    // The cluster offers all 5 old messages to the new incarnation; it records, not prints, them.
    const url = await metricsUrl(b2);
    await waitMetric(
      url,
      "starling_history_skipped_total",
      5,
      ">=",
      () =>
        `; b2 stdout: ${b2.lines}; b2 stderr: ${
          b2.errLines.filter((l) => /DIGEST|WINDOW/.test(l)).slice(0, 8)
        }`,
    );
    assert.deepEqual(b2.lines, [], `${signal}: no old message printed after the restart`);
    await publishAndWait(a, b2, ["new a 1", "new a 2"]);
    await publishAndWait(b2, a, ["new b 1"]);
    assert.deepEqual(b2.lines.map(data), ["new a 1", "new a 2"], "new messages exactly once");
    assert.equal(a.lines.map(data).filter((d) => d === "new b 1").length, 1);
  } finally {
    for (const proc of procs) await proc.stop();
  }
}

Deno.test("a CLI node killed with SIGKILL and restarted prints 0 old messages", async () => {
  await restartScenario("SIGKILL");
});

Deno.test("a CLI node stopped with SIGTERM and restarted prints 0 old messages", async () => {
  await restartScenario("SIGTERM");
});

Deno.test("with --state-dir and --history cached a restarted node catches up without repeats", async () => {
  const dir = scratchPath("state");
  const address = `127.0.0.1:${freePort()}`;
  const a = await spawnCli(FAST);
  const procs = [a];
  try {
    const bArgs = [
      ...FAST,
      ...["--listen", address, "--seed", a.address, "--state-dir", dir, "--history", "cached"],
    ];
    const permissions = [`--allow-read=${dir}`, `--allow-write=${dir}`];
    const b1 = await spawnCli(bArgs, permissions);
    procs.push(b1);
    await publishAndWait(a, b1, ["before 1", "before 2"]);
    await publishAndWait(b1, a, ["own 1"]);
    // Marks reach the file within 100 ms of a delivery (lib/node/state.ts); kill after that.
    const originA = JSON.parse(b1.lines[0]!).origin;
    const originB = JSON.parse(a.lines.find((l) => data(l) === "own 1")!).origin;
    let written: Record<string, number> = {};
    await until(
      async () => {
        written = JSON.parse(await outside(readMarks(dir))).marks;
        return written[originA] === 2 && written[originB] === 1;
      },
      10_000,
      () => `marks not written: ${JSON.stringify(written)}`,
    );
    b1.child.kill("SIGKILL");
    await b1.child.status;
    procs.pop();
    await a.stdin.write(encode("while down\n"));
    const b2 = await spawnCli(bArgs, permissions);
    procs.push(b2);
    await b2.waitLine((l) => data(l) === "while down", 20_000);
    await publishAndWait(a, b2, ["after"]);
    assert.deepEqual(b2.lines.map(data), ["while down", "after"], "missed ones once, old never");
    const marks = JSON.parse(await outside(readMarks(dir)));
    assert.equal(marks.version, 1);
    assert.deepEqual(Object.keys(marks.marks).sort(), [originA, originB].sort());
  } finally {
    for (const proc of procs) await proc.stop();
    await outside(`Deno.removeSync(${JSON.stringify(dir)}, { recursive: true })`);
  }
});
