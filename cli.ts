/**
 * The starling command-line node: publishes each stdin line, prints each message received.
 *
 * ```sh
 * deno run --allow-net cli.ts --listen 127.0.0.1:7001
 * deno run --allow-net cli.ts --listen 127.0.0.1:7002 --seed 127.0.0.1:7001
 * ```
 *
 * Run with `--help` for every flag, and `keygen --help` for making keys.
 *
 * @module
 */

import { configure, getTextFormatter, type LogRecord } from "@logtape/logtape";
import { type CliConfig, CliUsageError, parseCliArgs, USAGE } from "./lib/cli/args.ts";
import { decodeInput, deliveryBytes, maxLineBytes } from "./lib/cli/format.ts";
import { readSigningKey } from "./lib/cli/keys.ts";
import { readLines } from "./lib/cli/lines.ts";
import { GossipError } from "./lib/errors.ts";
import { type MetricsServer, serveMetrics } from "./lib/metrics/server.ts";
import { GossipNode, type NodeOptions } from "./lib/node/node.ts";
import { keygenCommand, loadKeyring } from "./lib/cli/keygen_command.ts";

const encoder = new TextEncoder();

function stderrLine(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n"));
}

/** Prints a user mistake as one stderr line; returns the exit code 2. */
function usageError(error: GossipError | CliUsageError, hint = ""): number {
  const first = error.message.split("\n")[0] ?? "";
  const more = error.message.includes("\n") ? hint : "";
  stderrLine(`starling: ${first}${more}`);
  return 2;
}

async function keygen(args: string[]): Promise<number> {
  try {
    await keygenCommand(args);
    return 0;
  } catch (error) {
    if (error instanceof GossipError) return usageError(error, " (see keygen --help)");
    throw error;
  }
}

/** The node options of the command line, reading the key files it names. */
async function nodeOptions(config: CliConfig): Promise<NodeOptions> {
  const options: NodeOptions = {
    listen: config.listen,
    seeds: config.seeds,
    discovery: config.discovery,
    messageQueueSize: config.queueSize,
    history: config.history,
    ordered: config.ordered,
  };
  if (config.stateDir !== undefined) options.stateDir = config.stateDir;
  if (config.fanout !== undefined) options.fanout = config.fanout;
  if (config.maxDatagramSize !== undefined) options.maxDatagramSize = config.maxDatagramSize;
  if (config.maxMessageSize !== undefined) options.maxMessageSize = config.maxMessageSize;
  if (config.antiEntropyIntervalMs !== undefined) {
    options.antiEntropyIntervalMs = config.antiEntropyIntervalMs;
  }
  if (config.keyFile !== undefined) options.keys = await loadKeyring(config.keyFile);
  if (config.label !== undefined) options.label = config.label;
  if (config.signingKeyFile !== undefined) {
    options.signing = await readSigningKey(config.signingKeyFile);
  }
  if (config.acceptPublishers.length > 0) options.acceptPublishers = config.acceptPublishers;
  return options;
}

async function main(args: string[]): Promise<number> {
  if (args[0] === "keygen") return await keygen(args.slice(1));
  let config;
  try {
    config = parseCliArgs(args);
  } catch (error) {
    if (error instanceof CliUsageError) return usageError(error);
    throw error;
  }
  if (config.help) {
    Deno.stdout.writeSync(encoder.encode(USAGE));
    return 0;
  }
  const formatter = getTextFormatter({ timestamp: "time" });
  await configure({
    sinks: { stderr: (record: LogRecord) => stderrLine(formatter(record)) },
    loggers: [
      { category: ["starling"], lowestLevel: config.logLevel, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });

  let node: GossipNode;
  try {
    node = await GossipNode.start(await nodeOptions(config));
  } catch (error) {
    if (error instanceof GossipError) return usageError(error);
    throw error;
  }
  let metrics: MetricsServer | undefined;
  if (config.metrics !== undefined) {
    try {
      metrics = serveMetrics(config.metrics, () => node.stats());
    } catch (error) {
      await node.close();
      if (error instanceof GossipError) return usageError(error);
      throw error;
    }
  }
  const started = performance.now();

  const { promise: done, resolve: finish } = Promise.withResolvers<number>();
  const stop = (): void => {
    Promise.all([node.close(), metrics?.close()]).then(() => finish(0), () => finish(1));
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, stop);
    } catch {
      // SIGTERM is not available on every platform
    }
  }

  // Announced only once SIGTERM is handled, so whoever waits for this line may stop us cleanly.
  // The transport in use is named here so a fallback to node:dgram is visible without logging.
  const transport = node.stats().transport.implementation ?? "custom transport";
  stderrLine(
    `starling node ${node.id.toString(16).padStart(10, "0")} listening on ${node.address} ` +
      `(UDP via ${transport})`,
  );
  if (metrics) stderrLine(`starling metrics on http://${metrics.address}/metrics`);

  // One write per backlog, not per message: while stdout keeps up, the queue never fills; when
  // it does not, the oldest deliveries are dropped and counted (stats().node.messagesDropped).
  const out = Deno.stdout.writable.getWriter();
  (async () => {
    for await (const batch of node.messageBatches()) {
      const t = performance.now() - started;
      const lines = batch.map((delivery) => deliveryBytes(delivery, config.json, t, config.format));
      let size = 0;
      for (const line of lines) size += line.length;
      const bytes = new Uint8Array(size);
      let at = 0;
      for (const line of lines) {
        bytes.set(line, at);
        at += line.length;
      }
      await out.write(bytes);
    }
  })().catch((error) => {
    stderrLine(`starling: cannot write to stdout: ${error}`);
    stop();
  });

  (async () => {
    const lineLimit = maxLineBytes(node.maxPayloadSize, config.format);
    for await (const item of readLines(Deno.stdin.readable, lineLimit)) {
      if (node.closed) return;
      if ("tooLong" in item) {
        stderrLine(
          `starling: line of ${item.tooLong} bytes not sent: the limit is ${lineLimit} ` +
            `(${node.maxPayloadSize} payload bytes; raise --max-message-size)`,
        );
        continue;
      }
      const bytes = decodeInput(item.bytes, config.format);
      if (typeof bytes === "string") {
        stderrLine(`starling: line not sent: ${bytes} (--format ${config.format})`);
        continue;
      }
      try {
        if (node.signing) await node.publishSigned(bytes);
        else node.publish(bytes);
      } catch (error) {
        if (!(error instanceof GossipError)) throw error;
        if (error.code === "closed") return;
        stderrLine(`starling: ${error.message}`);
      }
    }
    if (config.exitOnEof) stop();
  })().catch((error) => {
    stderrLine(`starling: cannot read stdin: ${error}`);
  });

  return await done;
}

if (import.meta.main) {
  const code = await main(Deno.args);
  Deno.exit(code);
}
