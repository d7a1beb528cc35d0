/**
 * `deno task sim`: runs one simulator scenario and prints its figures.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { BroadcastMode } from "../options.ts";
import { type AttackName, ATTACKS, runAttack } from "./attacks.ts";
import { runScenario, type ScenarioResult } from "./scenario.ts";

const HELP = `Usage: deno task sim [options]
  --nodes N        nodes in the cluster (default 1000)
  --loss P         loss probability per datagram, 0..1 or a percentage like 20 (default 0)
  --seed S         seed of the run (default 1)
  --messages M     messages published from random nodes (default 1)
  --kill F         fraction of nodes crashed before publishing, 0..1 (default 0)
  --partition MS   split in two halves for MS virtual ms while publishing, then heal
  --fanout K       push fanout (default 3)
  --mode M         tree | pushpull | push | pull (default tree)
  --warmup N       messages published and delivered before the measured ones (default 0)
  --json           print one JSON object instead of a table
  --attack NAME    run an attack or fault scenario and print its JSON (see lib/sim/attacks.ts):
                   ${ATTACKS.join(", ")}
  --duration MS    virtual ms the attack lasts (default 60000)
  --rate N         attack datagrams per second (default 1000)
  --help           show this help`;

function fail(message: string): never {
  Deno.stderr.writeSync(new TextEncoder().encode(`sim: ${message}\n`));
  Deno.exit(2);
}

function numberFlag(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) fail(`--${name} needs a non-negative number`);
  return value;
}

if (import.meta.main) {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        nodes: { type: "string" },
        loss: { type: "string" },
        seed: { type: "string" },
        messages: { type: "string" },
        kill: { type: "string" },
        partition: { type: "string" },
        fanout: { type: "string" },
        mode: { type: "string" },
        warmup: { type: "string" },
        json: { type: "boolean" },
        attack: { type: "string" },
        duration: { type: "string" },
        rate: { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    Deno.stdout.writeSync(new TextEncoder().encode(HELP + "\n"));
    Deno.exit(0);
  }
  let loss = numberFlag("loss", values.loss, 0);
  if (loss > 1) loss /= 100;
  if (values.mode && !["tree", "pushpull", "push", "pull"].includes(values.mode)) {
    fail(`--mode must be one of tree, pushpull, push, pull, not "${values.mode}"`);
  }
  const started = performance.now();
  if (values.attack !== undefined) {
    if (!(ATTACKS as readonly string[]).includes(values.attack)) {
      fail(`--attack must be one of ${ATTACKS.join(", ")}, not "${values.attack}"`);
    }
    const result = runAttack({
      attack: values.attack as AttackName,
      nodes: Math.max(20, Math.floor(numberFlag("nodes", values.nodes, 1000))),
      seed: numberFlag("seed", values.seed, 1),
      durationMs: numberFlag("duration", values.duration, 60_000),
      rate: numberFlag("rate", values.rate, 1000),
      messages: Math.max(1, Math.floor(numberFlag("messages", values.messages, 20))),
    });
    const line = JSON.stringify({ ...result, wall_ms: Math.round(performance.now() - started) });
    Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
    Deno.exit(0);
  }
  const result: ScenarioResult & { wall_ms?: number } = runScenario({
    nodes: Math.max(2, Math.floor(numberFlag("nodes", values.nodes, 1000))),
    seed: numberFlag("seed", values.seed, 1),
    loss,
    messages: Math.max(1, Math.floor(numberFlag("messages", values.messages, 1))),
    kill: numberFlag("kill", values.kill, 0),
    partitionMs: numberFlag("partition", values.partition, 0),
    warmupMessages: Math.floor(numberFlag("warmup", values.warmup, 0)),
    gossip: {
      fanout: Math.floor(numberFlag("fanout", values.fanout, 3)),
      mode: (values.mode ?? "tree") as BroadcastMode,
    },
  });
  result.wall_ms = Math.round(performance.now() - started);
  const text = values.json
    ? JSON.stringify(result)
    : Object.entries(result).map(([k, v]) => `${k.padEnd(26)} ${v}`).join("\n");
  Deno.stdout.writeSync(new TextEncoder().encode(text + "\n"));
}
