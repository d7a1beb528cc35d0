/**
 * Test helper: runs `cli.ts` nodes as child processes and waits on their output lines.
 *
 * @module
 */

import { readLines } from "../lib/cli/lines.ts";

export const ROOT: string = new URL("..", import.meta.url).pathname;
export const CLI: string = new URL("../cli.ts", import.meta.url).pathname;

/** A running CLI node. */
export interface CliProc {
  child: Deno.ChildProcess;
  /** The UDP address it printed. */
  address: string;
  /** stdout lines so far. */
  lines: string[];
  /** stderr lines so far. */
  errLines: string[];
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  /** The first stdout line matching, waiting up to `timeoutMs`. */
  waitLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** The first stderr line matching, waiting up to `timeoutMs`. */
  waitErr(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** SIGTERM, then the exit code once both output streams ended. */
  stop(): Promise<number>;
}

/** Starts `deno run <permissions> cli.ts <args>` and waits for its "listening on" line. */
export async function spawnCli(args: string[], permissions: string[] = []): Promise<CliProc> {
  const child = new Deno.Command("deno", {
    args: ["run", "--allow-net=127.0.0.1", ...permissions, CLI, ...args],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const errLines: string[] = [];
  const waiters = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array>, sink: string[]) => {
    for await (const item of readLines(stream, 1 << 20)) {
      if ("line" in item) sink.push(item.line);
      for (const wake of waiters) wake();
    }
  };
  const done = Promise.all([pump(child.stdout, lines), pump(child.stderr, errLines)]);
  const waitIn = (sink: string[], match: (line: string) => boolean, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = sink.find(match);
        if (found === undefined) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `No matching line in ${timeoutMs} ms; stdout ${JSON.stringify(lines)}, ` +
              `stderr ${JSON.stringify(errLines)}`,
          ),
        );
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  const stdin = child.stdin.getWriter();
  const stop = async (): Promise<number> => {
    await stdin.close().catch(() => {});
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    const status = await child.status;
    await done;
    return status.code;
  };
  let start: string;
  try {
    start = await waitIn(errLines, (l) => l.startsWith("starling node "), 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    child,
    address: start.split(" listening on ")[1]!.split(" ")[0]!,
    lines,
    errLines,
    stdin,
    waitLine: (match, timeoutMs) => waitIn(lines, match, timeoutMs),
    waitErr: (match, timeoutMs) => waitIn(errLines, match, timeoutMs),
    stop,
  };
}

/** Runs `deno run <permissions> cli.ts <args>` to the end, with stdin closed. */
export async function runCli(
  args: string[],
  permissions: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command("deno", {
    args: ["run", "--allow-net=127.0.0.1", ...permissions, CLI, ...args],
    cwd: ROOT,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * A fresh path in the system temp directory. Tests may not write files themselves, so the CLI
 * writes there (given `--allow-write=PATH`) and {@linkcode outside} reads and removes.
 */
export function scratchPath(name: string): string {
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const random = crypto.getRandomValues(new Uint32Array(2)).join("");
  return `${tmp}/starling-test-${random}-${name}`;
}

/** Runs `code` in a separate `deno eval` (it has the file access tests lack); returns stdout. */
export async function outside(code: string): Promise<string> {
  const output = await new Deno.Command("deno", { args: ["eval", code], stdin: "null" }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout);
}

/**
 * Publishes probe lines from `from` until every one of `to` has printed a line: the CLI prints no
 * join notice, and a message published before a node joined is history to it (history: "none").
 * Returns the number of probes published.
 */
export async function untilJoined(from: CliProc, to: CliProc[]): Promise<number> {
  for (let k = 0; k < 60; k++) {
    await from.stdin.write(new TextEncoder().encode(`probe ${k}\n`));
    try {
      await Promise.all(to.map((node) => node.waitLine(() => true, 500)));
      return k + 1;
    } catch {
      // not yet: probe again
    }
  }
  throw new Error("the CLI nodes did not join within 60 probes");
}
