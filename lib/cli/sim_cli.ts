/**
 * `deno task sim`: runs one simulator scenario and prints its figures.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { BroadcastMode, GossipOptions } from "../options.ts";
import { lanOptions, localOptions, wanOptions } from "../presets.ts";
import { runOpenLoop } from "../sim/open_loop.ts";
import { type AttackName, ATTACKS, runAttack } from "../sim/attacks.ts";
import { runScenario } from "../sim/scenario.ts";

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
  --delay MS       one-way link delay in virtual ms (default 10)
  --jitter MS      extra uniform random delay, 0..MS (default 5)
  --preset P       protocol preset: default | local | lan | wan (default: the defaults)
  --active N       activeViewSize (default: the preset's)
  --passive N      passiveViewSize (default: the preset's)
  --shuffle MS     shuffleIntervalMs (default: the preset's)
  --probe MS       probeIntervalMs (default: the preset's)
  --rate R         open loop: every live node publishes an equal share of R msgs/s in total
                   (replaces --messages/--warmup; reports p50/p99 to full, datagrams/message)
  --duration MS    open loop: virtual ms of publishing (default 5000)
  --cpu-us US      open loop: every node on one shared core, US µs per datagram and half that per
                   timer, as one process hosting them all (the loopback benchmark: about 64);
                   adds cpu_busy and cpu_max_lag_ms
  --payload BYTES   size of each measured message (larger than a datagram: sent as chunks);
                   adds payload_bytes, wire_ratio and max_node_wire_ratio_in
  --mixed F        fraction of nodes with maxDatagramSize 512, the others 65507 (mixed limits)
  --json           print one JSON object instead of a table
  --attack NAME    run an attack or fault scenario and print its JSON (see lib/sim/attacks.ts):
                   ${ATTACKS.join(", ")}; with --attack, --duration is the attack's length
                   (default 60000) and --rate its datagrams per second (default 1000)
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

/** Node i's datagram limit for `--mixed F`: 512 for a fraction F of the nodes, else 65,507. */
function mixedLimits(text: string): (i: number) => GossipOptions {
  const fraction = numberFlag("mixed", text, 0);
  if (fraction > 1) fail("--mixed needs a fraction from 0 to 1");
  // Spread evenly over the indices (node 0, the seed, is a large one unless F is 1).
  return (i) => ({
    maxDatagramSize: Math.floor((i + 1) * fraction) > Math.floor(i * fraction) ? 512 : 65507,
  });
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
        duration: { type: "string" },
        rate: { type: "string" },
        "cpu-us": { type: "string" },
        probe: { type: "string" },
        shuffle: { type: "string" },
        passive: { type: "string" },
        active: { type: "string" },
        preset: { type: "string" },
        jitter: { type: "string" },
        delay: { type: "string" },
        json: { type: "boolean" },
        payload: { type: "string" },
        mixed: { type: "string" },
        attack: { type: "string" },
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
  const presets: Record<string, () => GossipOptions> = {
    default: () => ({}),
    local: localOptions,
    lan: lanOptions,
    wan: wanOptions,
  };
  const preset = presets[values.preset ?? "default"];
  if (!preset) fail(`--preset must be one of default, local, lan, wan, not "${values.preset}"`);
  const gossip: GossipOptions = {
    ...preset(),
    fanout: Math.floor(numberFlag("fanout", values.fanout, 3)),
    mode: (values.mode ?? "tree") as BroadcastMode,
  };
  const optional: [keyof GossipOptions, string, string | undefined][] = [
    ["activeViewSize", "active", values.active],
    ["passiveViewSize", "passive", values.passive],
    ["shuffleIntervalMs", "shuffle", values.shuffle],
    ["probeIntervalMs", "probe", values.probe],
  ];
  for (const [key, flag, text] of optional) {
    if (text !== undefined) Object.assign(gossip, { [key]: Math.floor(numberFlag(flag, text, 0)) });
  }
  const nodes = Math.max(2, Math.floor(numberFlag("nodes", values.nodes, 1000)));
  const seed = numberFlag("seed", values.seed, 1);
  const delayMs = numberFlag("delay", values.delay, 10);
  const jitterMs = numberFlag("jitter", values.jitter, 5);
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
  let result: object;
  try {
    result = values.rate !== undefined
      ? runOpenLoop({
        nodes,
        seed,
        loss,
        delayMs,
        jitterMs,
        rate: numberFlag("rate", values.rate, 0) || fail("--rate needs a positive number"),
        durationMs: numberFlag("duration", values.duration, 5000),
        gossip,
        ...(values["cpu-us"] === undefined
          ? {}
          : { cpu: { datagramMs: numberFlag("cpu-us", values["cpu-us"], 0) / 1000 } }),
      })
      : runScenario({
        nodes,
        seed,
        loss,
        delayMs,
        jitterMs,
        messages: Math.max(1, Math.floor(numberFlag("messages", values.messages, 1))),
        kill: numberFlag("kill", values.kill, 0),
        partitionMs: numberFlag("partition", values.partition, 0),
        warmupMessages: Math.floor(numberFlag("warmup", values.warmup, 0)),
        gossip,
        ...(values.payload === undefined
          ? {}
          : { payloadBytes: Math.max(1, Math.floor(numberFlag("payload", values.payload, 0))) }),
        ...(values.mixed === undefined ? {} : { gossipOf: mixedLimits(values.mixed) }),
      });
  } catch (error) {
    // A bad protocol option (a view size out of range…) is a user mistake: one line, no stack.
    fail((error as Error).message);
  }
  Object.assign(result, { wall_ms: Math.round(performance.now() - started) });
  const text = values.json
    ? JSON.stringify(result)
    : Object.entries(result).map(([k, v]) => `${k.padEnd(26)} ${v}`).join("\n");
  Deno.stdout.writeSync(new TextEncoder().encode(text + "\n"));
}
