/**
 * The phases of the cluster scenario: each publishes messages under a fault and verifies, from
 * every node's own account, what it delivered.
 *
 * @module
 */

import { kill, restart } from "./faults.ts";
import { pairsOf } from "./ledger.ts";
import {
  converge,
  type Ctx,
  expect,
  type FaultWindow,
  fullDelivery,
  type PhaseResult,
  publishMany,
  result,
  shuffle,
  stats,
  waitPairs,
} from "./scenario.ts";

/** (a) Baseline: messages from random nodes reach every node. */
export async function phaseBaseline(ctx: Ctx): Promise<PhaseResult> {
  const from = Date.now();
  const msgs = await publishMany(ctx, "base", ctx.nodes, ctx.messages);
  const pairs = expect(ctx, ctx.nodes, msgs);
  await waitPairs(ctx, "baseline", ctx.nodes, pairs, 60_000);
  return result(ctx, "base", "baseline", from, msgs, pairs);
}

/** (b) Two halves that cannot reach each other; each gets only its own; after heal, all. */
export async function phasePartition(ctx: Ctx): Promise<PhaseResult> {
  const from = Date.now();
  const nodes = shuffle(ctx, ctx.nodes);
  const a = nodes.slice(0, Math.floor(nodes.length / 2));
  const b = nodes.slice(a.length);
  await ctx.faults.partition([a, b]);
  const window: FaultWindow = { label: "partition 2 halves", from: Date.now() };
  ctx.windows.push(window);
  const half = Math.max(1, Math.ceil(ctx.messages / 2));
  const msgsA = await publishMany(ctx, "part", a, half, "A");
  const msgsB = await publishMany(ctx, "part", b, half, "B");
  const own = expect(ctx, a, msgsA).concat(expect(ctx, b, msgsB));
  await waitPairs(ctx, "partition: own side", ctx.nodes, own, 60_000);
  const ownMissing = ctx.ledger.missing(own).length;
  const leaks = pairsOf(a, msgsB.map((m) => m.data)).concat(pairsOf(b, msgsA.map((m) => m.data)))
    .filter((p) => ctx.ledger.get(p.node, p.data)).length;
  const sideMs = stats(fullDelivery(ctx, msgsA, own).concat(fullDelivery(ctx, msgsB, own)));
  const healedAt = Date.now(); // some nodes hear again before heal() returns for the last
  window.to = healedAt;
  await ctx.faults.heal(ctx.nodes);
  const all = expect(ctx, ctx.nodes, msgsA.concat(msgsB));
  await waitPairs(ctx, "partition: after heal", ctx.nodes, all, 120_000);
  let healToFull: number | null = null;
  if (ctx.ledger.missing(all).length === 0) {
    healToFull = Math.max(
      0,
      ...all.map((p) => ctx.ledger.get(p.node, p.data)!.at - healedAt),
    );
  }
  const failed = leaks > 0 || ownMissing > 0;
  return result(ctx, "part", "partition + heal", from, msgsA.concat(msgsB), all, {
    ...(failed
      ? {
        status: "failed",
        reason: leaks > 0
          ? `${leaks} deliveries crossed the partition`
          : `${ownMissing} own-side deliveries missing during the partition`,
      }
      : {}),
    figures: {
      sideA: a.length,
      sideB: b.length,
      ownSideMissing: ownMissing,
      leaks,
      ownSideMedianMs: sideMs?.median ?? null,
      healToFullMs: healToFull,
    },
  });
}

/**
 * One-way partition (opt-in phase `oneway`): side A stops hearing side B, B still hears A.
 * While it lasts, B must get every message (its own and A's), A only its own (none of B's);
 * after the heal, every node has every message.
 */
export async function phaseOneWay(ctx: Ctx): Promise<PhaseResult> {
  const from = Date.now();
  const nodes = shuffle(ctx, ctx.nodes);
  const deaf = nodes.slice(0, Math.floor(nodes.length / 2));
  const heard = nodes.slice(deaf.length);
  await ctx.faults.block(deaf, heard);
  const window: FaultWindow = { label: "one-way: A deaf to B", from: Date.now() };
  ctx.windows.push(window);
  const half = Math.max(1, Math.ceil(ctx.messages / 2));
  const msgsA = await publishMany(ctx, "oneway", deaf, half, "A");
  const msgsB = await publishMany(ctx, "oneway", heard, half, "B");
  const during = expect(ctx, deaf, msgsA).concat(expect(ctx, heard, msgsA.concat(msgsB)));
  await waitPairs(ctx, "one-way: during", ctx.nodes, during, 60_000);
  const duringMissing = ctx.ledger.missing(during).length;
  const leaks = pairsOf(deaf, msgsB.map((m) => m.data))
    .filter((p) => ctx.ledger.get(p.node, p.data)).length;
  const healedAt = Date.now(); // some nodes hear again before heal() returns for the last
  window.to = healedAt;
  await ctx.faults.heal(ctx.nodes);
  const all = expect(ctx, ctx.nodes, msgsA.concat(msgsB));
  await waitPairs(ctx, "one-way: after heal", ctx.nodes, all, 120_000);
  const healToFull = ctx.ledger.missing(all).length > 0
    ? null
    : Math.max(0, ...all.map((p) => ctx.ledger.get(p.node, p.data)!.at - healedAt));
  const failed = leaks > 0 || duringMissing > 0;
  return result(ctx, "oneway", "one-way partition", from, msgsA.concat(msgsB), all, {
    ...(failed
      ? {
        status: "failed",
        reason: leaks > 0
          ? `${leaks} deliveries reached the deaf side`
          : `${duringMissing} deliveries missing during the one-way partition`,
      }
      : {}),
    figures: {
      deaf: deaf.length,
      heard: heard.length,
      duringMissing,
      leaks,
      healToFullMs: healToFull,
    },
  });
}

/** (c) Every node loses `percent` % of its packets. */
export async function phaseLoss(ctx: Ctx, percent = 25): Promise<PhaseResult> {
  const from = Date.now();
  await ctx.faults.loss(ctx.nodes, percent);
  const window: FaultWindow = {
    label: `loss ${percent}% (${ctx.faults.lossMethod})`,
    from: Date.now(),
  };
  ctx.windows.push(window);
  const msgs = await publishMany(ctx, "loss", ctx.nodes, ctx.messages);
  const pairs = expect(ctx, ctx.nodes, msgs);
  await waitPairs(ctx, `loss ${percent}%`, ctx.nodes, pairs, 120_000);
  await ctx.faults.heal(ctx.nodes);
  window.to = Date.now();
  return result(ctx, "loss", `loss ${percent}%`, from, msgs, pairs, {
    figures: { lossPercent: percent, method: ctx.faults.lossMethod },
  });
}

/** (e) Delay and jitter on every node (netem only). */
export async function phaseDelay(ctx: Ctx, ms = 100, jitter = 50): Promise<PhaseResult> {
  const from = Date.now();
  await ctx.faults.delay(ctx.nodes, ms, jitter);
  const window: FaultWindow = { label: `delay ${ms}±${jitter} ms`, from: Date.now() };
  ctx.windows.push(window);
  const msgs = await publishMany(ctx, "delay", ctx.nodes, ctx.messages);
  const pairs = expect(ctx, ctx.nodes, msgs);
  await waitPairs(ctx, "delay", ctx.nodes, pairs, 120_000);
  await ctx.faults.heal(ctx.nodes);
  window.to = Date.now();
  return result(ctx, "delay", `delay ${ms}±${jitter} ms`, from, msgs, pairs, {
    figures: { delayMs: ms, jitterMs: jitter },
  });
}

/** (d) Crash 30 % of the nodes, publish to the survivors; restart, rejoin, publish again. */
export async function phaseCrash(ctx: Ctx, fraction = 0.3): Promise<PhaseResult> {
  const from = Date.now();
  const victims = shuffle(ctx, ctx.nodes).slice(0, Math.round(ctx.nodes.length * fraction));
  const survivors = ctx.nodes.filter((n) => !victims.includes(n));
  await kill(victims);
  ctx.faults.forget(victims);
  const down: FaultWindow = {
    label: `crash ${victims.length}`,
    from: Date.now(),
    nodes: victims.map((v) => v.name),
  };
  ctx.windows.push(down);
  const msgs1 = await publishMany(ctx, "crash", survivors, ctx.messages, "S");
  const pairs1 = expect(ctx, survivors, msgs1);
  await waitPairs(ctx, `crash: ${survivors.length} survivors`, survivors, pairs1, 60_000);
  const survivorMissing = ctx.ledger.missing(pairs1).length;

  const restartedAt = Date.now();
  down.to = restartedAt; // the first victim is up before `docker start` returns for the last
  await restart(victims);
  ctx.nodes = await ctx.project.nodes();
  const rejoined = await converge(ctx, "rejoin", 120_000);
  const rejoinMs = rejoined === null ? null : Date.now() - restartedAt;
  const msgs2 = await publishMany(ctx, "crash", ctx.nodes, ctx.messages, "R");
  const pairs2 = expect(ctx, ctx.nodes, msgs2);
  await waitPairs(ctx, "crash: after restart", ctx.nodes, pairs2, 60_000);
  const restartedNames = new Set(victims.map((v) => v.name));
  const rejoinedMissing = ctx.ledger.missing(pairs2).filter((p) => restartedNames.has(p.node));
  // Once across restarts (history "none", the CLI default): a restarted process hands its
  // application nothing published before it started, neither what its predecessor delivered
  // nor what the survivors published while it was down.
  await ctx.ledger.refresh(ctx.nodes);
  const redelivered = victims.reduce((n, v) => n + (ctx.ledger.redelivered.get(v.name) ?? 0), 0);
  const whileDown = pairsOf(victims, msgs1.map((m) => m.data))
    .filter((p) => ctx.ledger.get(p.node, p.data)).length;
  const old = redelivered + whileDown;
  return result(
    ctx,
    "crash",
    `crash ${victims.length} + restart`,
    from,
    msgs1.concat(msgs2),
    pairs1.concat(pairs2),
    {
      ...(old > 0
        ? {
          status: "failed",
          reason: `restarted nodes delivered ${old} old messages (${redelivered} again, ` +
            `${whileDown} published while they were down)`,
        }
        : {}),
      figures: {
        killed: victims.length,
        oldDeliveredAfterRestart: old,
        redeliveredAfterRestart: redelivered,
        publishedWhileDownDelivered: whileDown,
        survivorMissing,
        restartToRejoinMs: rejoinMs,
        restartedMissingNew: rejoinedMissing.length,
        restartedAt: new Date(restartedAt).toISOString(),
      },
    },
  );
}
