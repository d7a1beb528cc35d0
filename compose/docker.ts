/**
 * Thin wrappers around the docker and compose command-line tools for the cluster rig.
 *
 * Everything goes through the CLIs (`docker`, `docker compose` or `docker-compose`) so the rig
 * works wherever those work, with the same permissions a user has.
 *
 * @module
 */

/** Result of one command. */
export interface RunResult {
  /** Exit code (124 when the command was killed for its timeout). */
  code: number;
  /** Captured standard output. */
  stdout: string;
  /** Captured standard error. */
  stderr: string;
}

/** Options for {@linkcode run}. */
export interface RunOptions {
  /** Text written to the command's stdin. */
  stdin?: string;
  /** Kill the command after this many milliseconds (default 120000). */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** Stream output to our own stdout/stderr instead of capturing it. */
  inherit?: boolean;
}

const decoder = new TextDecoder();

/** Runs a command to completion and captures its output; never throws for a non-zero exit. */
export async function run(cmd: string[], options: RunOptions = {}): Promise<RunResult> {
  const [program, ...args] = cmd;
  if (program === undefined) throw new Error("run: empty command");
  const child = new Deno.Command(program, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: options.inherit ? "inherit" : "piped",
    stderr: options.inherit ? "inherit" : "piped",
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, options.timeoutMs ?? 120_000);
  try {
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin));
      await writer.close();
    }
    const out = await child.output();
    return {
      code: timedOut ? 124 : out.code,
      stdout: options.inherit ? "" : decoder.decode(out.stdout),
      stderr: options.inherit ? "" : decoder.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a command and throws with its stderr when it fails. */
export async function mustRun(cmd: string[], options: RunOptions = {}): Promise<string> {
  const r = await run(cmd, options);
  if (r.code !== 0) {
    throw new Error(`${cmd.slice(0, 3).join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** Maps over items with at most `limit` calls of `fn` in flight. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Returns the compose command: `docker compose` (v2 plugin) or else `docker-compose` (v1). */
export async function detectCompose(): Promise<string[]> {
  const v2 = await run(["docker", "compose", "version"]).catch(() => null);
  if (v2?.code === 0) return ["docker", "compose"];
  const v1 = await run(["docker-compose", "version"]).catch(() => null);
  if (v1?.code === 0) return ["docker-compose"];
  throw new Error("neither `docker compose` nor `docker-compose` works; install docker-compose");
}

/** One container of the cluster as the rig sees it. */
export interface NodeInfo {
  /** Container name, e.g. starling_node_3 (v1) or starling-node-3 (v2). */
  name: string;
  /** Short label used in tables and charts: n01, n02, ... */
  label: string;
  /** Address on the cluster network ("" while stopped). */
  ip: string;
  /** Whether the container is running. */
  running: boolean;
}

/** The compose project running the cluster. */
export class ComposeProject {
  /** Creates a handle; nothing runs until {@linkcode ComposeProject.up}. */
  constructor(
    readonly compose: string[],
    readonly file: string,
    readonly project: string,
    readonly env: Record<string, string>,
  ) {}

  #cmd(...args: string[]): string[] {
    return [...this.compose, "-f", this.file, "-p", this.project, ...args];
  }

  /** Starts `nodes` replicas of the node service (containers start in parallel). */
  async up(nodes: number): Promise<void> {
    await mustRun(this.#cmd("up", "-d", "--no-build", "--scale", `node=${nodes}`), {
      env: this.env,
      timeoutMs: 300_000,
    });
  }

  /** Removes all containers and the network, fast (containers are killed, not stopped). */
  async down(): Promise<void> {
    const ids = (await run([
      "docker",
      "ps",
      "-aq",
      "--filter",
      `label=com.docker.compose.project=${this.project}`,
    ])).stdout.split("\n").filter((s) => s !== "");
    if (ids.length > 0) await run(["docker", "rm", "-f", "-v", ...ids], { timeoutMs: 120_000 });
    await run(this.#cmd("down", "-v", "--remove-orphans", "-t", "1"), {
      env: this.env,
      timeoutMs: 120_000,
    });
  }

  /** Lists the node containers, sorted by replica number, with their state and address. */
  async nodes(): Promise<NodeInfo[]> {
    const ids = (await mustRun([
      "docker",
      "ps",
      "-aq",
      "--filter",
      `label=com.docker.compose.project=${this.project}`,
      "--filter",
      "label=com.docker.compose.service=node",
    ])).split("\n").filter((s) => s !== "");
    if (ids.length === 0) return [];
    const fmt = '{{.Name}}|{{.State.Running}}|{{index .Config.Labels "com.docker.compose.' +
      'container-number"}}|{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}';
    const lines = (await mustRun(["docker", "inspect", "-f", fmt, ...ids])).trim().split("\n");
    const rows = lines.map((line) => {
      const [name = "", running = "", num = "0", ips = ""] = line.split("|");
      return {
        name: name.replace(/^\//, ""),
        running: running === "true",
        num: Number(num),
        ip: ips.trim().split(" ")[0] ?? "",
      };
    }).sort((a, b) => a.num - b.num);
    return rows.map((r) => ({
      name: r.name,
      label: `n${String(r.num).padStart(2, "0")}`,
      ip: r.ip,
      running: r.running,
    }));
  }
}

/** Runs a shell script inside a container as root; returns the result. */
export function exec(container: string, script: string, stdin?: string): Promise<RunResult> {
  const args = ["docker", "exec", "-u", "0", ...(stdin === undefined ? [] : ["-i"]), container];
  return run([...args, "sh", "-c", script], {
    timeoutMs: 30_000,
    ...(stdin === undefined ? {} : { stdin }),
  });
}

/** The container's full stdout with docker's receive timestamps (`docker logs -t`). */
export async function logs(container: string): Promise<string> {
  const r = await run(["docker", "logs", "-t", container], { timeoutMs: 30_000 });
  return r.code === 0 ? r.stdout : "";
}

/** True when the image exists locally. */
export async function imageExists(image: string): Promise<boolean> {
  return (await run(["docker", "image", "inspect", image])).code === 0;
}

/** A label of a local image, or undefined when the image or label is absent. */
export async function imageLabel(image: string, label: string): Promise<string | undefined> {
  const r = await run([
    "docker",
    "image",
    "inspect",
    "-f",
    `{{index .Config.Labels "${label}"}}`,
    image,
  ]);
  const v = r.stdout.trim();
  return r.code === 0 && v !== "" && v !== "<no value>" ? v : undefined;
}
