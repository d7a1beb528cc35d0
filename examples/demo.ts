/**
 * `deno task demo`: a 32-node cluster on loopback UDP in one process. Publishes messages from
 * random nodes and reports delivery, time to full delivery and traffic per message.
 *
 * Flags: --nodes N (32), --messages N (50), --interval MS between publishes (20).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { GossipNode } from "../lib/node/node.ts";
import { localOptions } from "../lib/presets.ts";
import { formatMessageId } from "../lib/wire/message_id.ts";

const encoder = new TextEncoder();
const err = (text: string): void => {
  Deno.stderr.writeSync(encoder.encode(text));
};

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "32" },
    messages: { type: "string", default: "50" },
    interval: { type: "string", default: "20" },
  },
});
const nodeCount = Math.max(2, Number(values.nodes));
const messageCount = Math.max(1, Number(values.messages));
const publishGapMs = Math.max(0, Number(values.interval));

const until = async (check: () => boolean, timeoutMs: number): Promise<boolean> => {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
};

const nodes: GossipNode[] = [];
/** message id (hex) -> arrival times (ms since publish) at each receiving node */
const arrivals = new Map<string, number[]>();
const publishedAt = new Map<string, number>();
let deliveries = 0;

for (let i = 0; i < nodeCount; i++) {
  const node = await GossipNode.start({
    // One machine: fast rounds and short graft timers (see lib/presets.ts).
    ...localOptions(),
    listen: "127.0.0.1:0",
    seeds: i === 0 ? [] : [nodes[0]!.address],
  });
  node.onMessage((m) => {
    const id = formatMessageId(m.id);
    const t0 = publishedAt.get(id);
    if (t0 === undefined) return;
    deliveries++;
    const list = arrivals.get(id) ?? [];
    list.push(performance.now() - t0);
    arrivals.set(id, list);
  });
  nodes.push(node);
}
err(`started ${nodeCount} nodes on loopback; seed ${nodes[0]!.address}\n`);

const joined = await until(
  () => nodes.every((node) => node.peers().length >= Math.min(3, nodeCount - 1)),
  15_000,
);
err(joined ? "membership settled\n" : "membership did not settle in 15 s; publishing anyway\n");

const before = nodes.map((node) => node.stats());
const start = performance.now();
for (let m = 0; m < messageCount; m++) {
  const node = nodes[Math.floor(Math.random() * nodes.length)]!;
  const at = performance.now();
  const id = formatMessageId(node.publish(encoder.encode(`demo message ${m}`)));
  publishedAt.set(id, at);
  if ((m + 1) % 10 === 0 || m + 1 === messageCount) {
    const fraction = deliveries / ((m + 1) * (nodeCount - 1));
    err(`published ${m + 1}/${messageCount}, delivered so far ${(fraction * 100).toFixed(1)}%\n`);
  }
  if (publishGapMs > 0) await new Promise((resolve) => setTimeout(resolve, publishGapMs));
}
const expected = messageCount * (nodeCount - 1);
const complete = await until(() => deliveries >= expected, 20_000);
const elapsed = performance.now() - start;
const after = nodes.map((node) => node.stats());
await Promise.all(nodes.map((node) => node.close()));

const sum = (pick: (s: ReturnType<GossipNode["stats"]>) => number): number =>
  after.reduce((total, s, i) => total + pick(s) - pick(before[i]!), 0);
const fullTimes = [...publishedAt.keys()]
  .map((id) => arrivals.get(id) ?? [])
  .filter((list) => list.length >= nodeCount - 1)
  .map((list) => Math.max(...list))
  .sort((a, b) => a - b);
const median = fullTimes.length ? fullTimes[Math.floor(fullTimes.length / 2)]! : NaN;
const max = fullTimes.length ? fullTimes[fullTimes.length - 1]! : NaN;
const datagrams = sum((s) => s.engine.datagramsOut);
const payloadCopies = sum((s) => s.engine.payloadsOut);
const duplicates = sum((s) => s.engine.duplicates);
const summary = {
  nodes: nodeCount,
  messages: messageCount,
  deliveredFraction: deliveries / expected,
  fullyDelivered: fullTimes.length,
  fullDeliveryMsMedian: Math.round(median * 10) / 10,
  fullDeliveryMsMax: Math.round(max * 10) / 10,
  datagramsPerMessage: Math.round((datagrams / messageCount) * 10) / 10,
  payloadCopiesPerMessage: Math.round((payloadCopies / messageCount) * 10) / 10,
  duplicatesPerMessage: Math.round((duplicates / messageCount) * 10) / 10,
  elapsedMs: Math.round(elapsed),
  complete,
};
err(
  `\ndelivered ${(summary.deliveredFraction * 100).toFixed(2)}% ` +
    `(${deliveries}/${expected}); ${fullTimes.length}/${messageCount} messages reached every node\n` +
    `time to full delivery: median ${summary.fullDeliveryMsMedian} ms, max ${summary.fullDeliveryMsMax} ms\n` +
    `per message: ${summary.datagramsPerMessage} datagrams (all traffic incl. membership), ` +
    `${summary.payloadCopiesPerMessage} payload copies, ${summary.duplicatesPerMessage} duplicates ` +
    `(${nodeCount - 1} copies is the minimum)\n`,
);
Deno.stdout.writeSync(encoder.encode(JSON.stringify(summary) + "\n"));
