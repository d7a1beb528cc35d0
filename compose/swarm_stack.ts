/**
 * The Docker Swarm side of the rig: joins this engine to a one-node swarm (or uses the swarm it
 * already manages), deploys compose/docker-compose.yml as a stack on an overlay network, and
 * removes everything again — the stack, its network, its containers, the swarm and the
 * `docker_gwbridge` network swarm creates — restoring the engine to the state it was found in.
 *
 * A swarm this rig created is marked with the node label `org.starling.rig=1`, so a run that was
 * killed before it could clean up is recognised and cleaned up by the next run; a swarm the
 * engine was already part of is never left, only the rig's stack is removed from it.
 *
 * @module
 */

import { run, type RunResult } from "./docker.ts";

/** Label put on the swarm node when the rig initialised the swarm itself. */
export const RIG_LABEL = "org.starling.rig";

/** The engine's swarm membership as `docker info` reports it. */
export interface SwarmState {
  /** `inactive`, `active`, `pending`, `error` or `locked`. */
  state: string;
  /** Whether this engine is a manager (can deploy stacks). */
  manager: boolean;
  /** Whether the `docker_gwbridge` network exists. */
  gwbridge: boolean;
  /** Whether the swarm carries the rig's label (a leftover of an earlier run). */
  ours: boolean;
}

/** Reads the engine's swarm state. */
export async function swarmState(): Promise<SwarmState> {
  const info = await run([
    "docker",
    "info",
    "--format",
    "{{.Swarm.LocalNodeState}}|{{.Swarm.ControlAvailable}}",
  ], { timeoutMs: 30_000 });
  const [state = "unknown", control = "false"] = info.stdout.trim().split("|");
  const gwbridge = (await run(["docker", "network", "inspect", "docker_gwbridge"])).code === 0;
  let ours = false;
  if (state === "active" && control === "true") {
    const label = await run([
      "docker",
      "node",
      "inspect",
      "self",
      "--format",
      `{{index .Spec.Labels "${RIG_LABEL}"}}`,
    ]);
    ours = label.stdout.trim() === "1";
  }
  return {
    state: info.code === 0 ? state : "unknown",
    manager: control === "true",
    gwbridge,
    ours,
  };
}

/** First line of a command's error output, for one-line messages. */
export function firstLine(r: RunResult): string {
  return (r.stderr.trim() || r.stdout.trim()).split("\n")[0] ?? `exit ${r.code}`;
}

/** One deployment of the stack and everything needed to undo it. */
export class SwarmStack {
  /** True once this object initialised the swarm (then cleanup leaves it). */
  initialised = false;

  /**
   * @param stack Stack name (`docker stack deploy ... <stack>`).
   * @param composeFile Path of compose/docker-compose.yml.
   * @param before The engine's state before the run: what cleanup restores.
   */
  constructor(
    readonly stack: string,
    readonly composeFile: string,
    readonly before: SwarmState,
  ) {
    // A swarm left behind by a killed run of the rig is the rig's to leave.
    this.initialised = before.ours;
  }

  /** The node service's full name. */
  get service(): string {
    return `${this.stack}_node`;
  }

  /** The overlay network's full name. */
  get network(): string {
    return `${this.stack}_gossip`;
  }

  /**
   * Makes this engine a swarm manager: initialises a one-node swarm when it is in none. Returns
   * a reason to skip the phase when the engine cannot run one, undefined when ready.
   */
  async join(): Promise<string | undefined> {
    const { state, manager } = this.before;
    if (state === "active") {
      return manager ? undefined : "this engine is a swarm worker; deploying needs a manager";
    }
    if (state !== "inactive") return `the engine's swarm state is '${state}'`;
    const init = await run(["docker", "swarm", "init", "--advertise-addr", "127.0.0.1"], {
      timeoutMs: 60_000,
    });
    if (init.code !== 0) return `docker swarm init failed: ${firstLine(init)}`;
    this.initialised = true;
    // `docker node update` does not take `self`: it needs the node's id.
    const id = (await run(["docker", "info", "--format", "{{.Swarm.NodeID}}"])).stdout.trim();
    const label = await run(["docker", "node", "update", "--label-add", `${RIG_LABEL}=1`, id]);
    if (label.code !== 0) throw new Error(`cannot label the swarm node: ${firstLine(label)}`);
    return undefined;
  }

  /** Deploys the stack with `nodes` replicas of `image` on an overlay network. */
  async deploy(image: string, nodes: number): Promise<void> {
    // A stack of the same name left by a killed run would be updated in place, not started
    // afresh: remove it first.
    if ((await this.leftovers(false)).length > 0) await this.#removeStack();
    const r = await run(["docker", "stack", "deploy", "-c", this.composeFile, this.stack], {
      env: {
        STARLING_IMAGE: image,
        STARLING_NODES: String(nodes),
        STARLING_NETWORK_DRIVER: "overlay",
      },
      timeoutMs: 120_000,
    });
    if (r.code !== 0) throw new Error(`docker stack deploy failed: ${firstLine(r)}`);
  }

  /** The service's tasks that should run: id, state and error as `docker service ps` says. */
  async tasks(): Promise<{ id: string; state: string; error: string }[]> {
    const r = await run([
      "docker",
      "service",
      "ps",
      this.service,
      "--no-trunc",
      "--filter",
      "desired-state=running",
      "--format",
      "{{.ID}}|{{.CurrentState}}|{{.Error}}",
    ], { timeoutMs: 30_000 });
    if (r.code !== 0) return [];
    return r.stdout.split("\n").filter((l) => l !== "").map((line) => {
      const [id = "", state = "", error = ""] = line.split("|");
      return { id, state: state.split(" ")[0] ?? "", error };
    });
  }

  /** Local containers of the service, by task id. */
  async containers(): Promise<Map<string, string>> {
    const r = await run([
      "docker",
      "ps",
      "-a",
      "--filter",
      `label=com.docker.swarm.service.name=${this.service}`,
      "--format",
      '{{.ID}}|{{.Label "com.docker.swarm.task.id"}}',
    ], { timeoutMs: 30_000 });
    const byTask = new Map<string, string>();
    for (const line of r.stdout.split("\n")) {
      const [container, task] = line.split("|");
      if (container && task) byTask.set(task, container);
    }
    return byTask;
  }

  /** `docker service logs --no-trunc` of the node service (stdout and stderr). */
  async logs(): Promise<string> {
    const r = await run(["docker", "service", "logs", "--no-trunc", this.service], {
      timeoutMs: 60_000,
    });
    return r.stdout + r.stderr;
  }

  /**
   * Removes the stack, waits for its containers and network to go, leaves the swarm if this
   * run (or a killed earlier one) created it and removes `docker_gwbridge` if it was not there
   * before. Best effort at every step: a failing step does not stop the next ones. Returns what
   * is still left (empty when clean).
   */
  async cleanup(say: (line: string) => void): Promise<string[]> {
    if ((await swarmState()).state === "active") await this.#removeStack();
    const left = await this.leftovers(false);
    if (left.length > 0) {
      // Force what the stack removal did not manage.
      const ids = [...(await this.containers()).values()];
      if (ids.length > 0) await run(["docker", "rm", "-f", ...ids], { timeoutMs: 60_000 });
      await run(["docker", "network", "rm", this.network]);
    }
    if (this.initialised) {
      const leave = await run(["docker", "swarm", "leave", "--force"], { timeoutMs: 60_000 });
      if (leave.code !== 0) say(`docker swarm leave failed: ${firstLine(leave)}`);
      if (!this.before.gwbridge || this.before.ours) {
        // Swarm creates docker_gwbridge on init and keeps it after leaving.
        await waitUntil(
          20_000,
          async () =>
            (await run(["docker", "network", "rm", "docker_gwbridge"])).code === 0 ||
            (await run(["docker", "network", "inspect", "docker_gwbridge"])).code !== 0,
        );
      }
    }
    return await this.leftovers(true);
  }

  /**
   * What this run left behind: the stack's service, containers and network, and — when
   * `swarmToo` — a swarm membership or `docker_gwbridge` network the engine did not have before.
   */
  async leftovers(swarmToo: boolean): Promise<string[]> {
    const left: string[] = [];
    const now = await swarmState();
    if (now.state === "active" && now.manager) {
      const services = await run([
        "docker",
        "service",
        "ls",
        "-q",
        "--filter",
        `label=com.docker.stack.namespace=${this.stack}`,
      ]);
      const count = services.stdout.split("\n").filter((l) => l !== "").length;
      if (count > 0) left.push(`${count} service(s) of stack ${this.stack}`);
    }
    const containers = (await this.containers()).size;
    if (containers > 0) left.push(`${containers} container(s) of ${this.service}`);
    if (await this.#networkExists()) left.push(`network ${this.network}`);
    if (swarmToo) {
      if (now.state !== this.before.state && !this.before.ours) {
        left.push(`swarm state '${now.state}' (was '${this.before.state}')`);
      } else if (this.before.ours && now.state !== "inactive") {
        left.push(`the rig's earlier swarm is still '${now.state}'`);
      }
      // docker_gwbridge belongs to the swarm: the engine creates it for the first task on an
      // overlay network. Only a swarm the rig made (and left) must not leave it behind.
      const hadGwbridge = this.before.gwbridge && !this.before.ours;
      if (this.initialised && now.gwbridge && !hadGwbridge) left.push("network docker_gwbridge");
    }
    return left;
  }

  async #removeStack(): Promise<void> {
    await run(["docker", "stack", "rm", this.stack], { timeoutMs: 60_000 });
    // stack rm returns at once; the containers stop (grace 2 s) and the network goes later.
    await waitUntil(
      90_000,
      async () => (await this.containers()).size === 0 && !(await this.#networkExists()),
    );
  }

  async #networkExists(): Promise<boolean> {
    return (await run(["docker", "network", "inspect", this.network])).code === 0;
  }
}

/** Polls `check` every 500 ms until it is true or `ms` have passed; returns the last answer. */
export async function waitUntil(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  for (const until = Date.now() + ms;;) {
    if (await check()) return true;
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
