/**
 * Command-line parsing of the starling node, kept apart from `cli.ts` so it is unit-testable.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseDiscovery } from "../discovery/parse.ts";
import type { Discovery } from "../discovery/discovery.ts";
import { PAYLOAD_FORMATS, type PayloadFormat } from "./format.ts";
import { splitHostPort } from "../wire/address.ts";

/** What the command line asked for. */
export interface CliConfig {
  /** Print the help text and exit. */
  help: boolean;
  /** Address to bind. */
  listen: string;
  /** Seed addresses (`host:port`; host names are resolved). */
  seeds: string[];
  /** Discovery sources. */
  discovery: Discovery[];
  /** Print deliveries as JSON lines. */
  json: boolean;
  /** How payloads appear on stdin and stdout. */
  format: PayloadFormat;
  /** Deliveries buffered for stdout before the oldest is dropped. */
  queueSize: number;
  /** Directory keeping delivery marks across restarts, when given. */
  stateDir?: string;
  /** Whether a joining node delivers what the cluster still caches. */
  history: "none" | "cached";
  /** Deliver each origin's messages in sequence order. */
  ordered: boolean;
  /** Exit when stdin ends instead of serving on. */
  exitOnEof: boolean;
  /** Protocol fanout, when given. */
  fanout?: number;
  /** Max datagram size, when given. */
  maxDatagramSize?: number;
  /** Largest message published (larger than a datagram goes as chunks), when given. */
  maxMessageSize?: number;
  /** Anti-entropy interval in ms, when given. */
  antiEntropyIntervalMs?: number;
  /** Log level on stderr. */
  logLevel: "error" | "warning" | "info" | "debug";
  /** File of cluster keys (one base64 key per line), when given. */
  keyFile?: string;
  /** Cluster label, when given. */
  label?: string;
  /** File holding this node's Ed25519 private key (from `keygen --signing`), when given. */
  signingKeyFile?: string;
  /** Base64 public keys of the accepted publishers (none: nothing is checked). */
  acceptPublishers: string[];
  /** `HOST:PORT` to serve Prometheus metrics on, when given. */
  metrics?: string;
}

/** A user mistake on the command line; `cli.ts` prints the message and exits 2. */
export class CliUsageError extends Error {
  /**
   * Creates the error.
   *
   * @param message One line that says what is wrong and what to do.
   */
  constructor(message: string) {
    super(message);
    this.name = "CliUsageError";
  }
}

/** The help text: every flag, its default and an example. */
export const USAGE = `starling: a gossip node on UDP. Each stdin line is published to the cluster;
each message received is printed on stdout, one per line.

Usage:
  deno run --allow-net cli.ts [options]

Options:
  --listen HOST:PORT     Address to bind (default 127.0.0.1:0, a free port)
  --seed HOST:PORT       A node to join through; repeat for more. Host names are resolved
  --discover SPEC        Where to find peers, asked at start and every 10 s; repeat for more:
                           dns:NAME:PORT              every A/AAAA record of NAME
                           static:HOST:PORT,HOST:PORT a fixed list
  --json                 Print each message as a JSON line: id, origin, hops, data, encoding,
                           from, t (data is base64 when the payload is not UTF-8)
  --format FORMAT        text, base64 or hex: how stdin lines and printed payloads are written
                           (default text: raw bytes, CR/LF printed as spaces)
  --queue N              Messages buffered for stdout before the oldest is dropped and counted
                           (default 65536)
  --state-dir DIR        Remember what was delivered in DIR, so a restart never delivers a
                           message twice (needs --allow-read and --allow-write on DIR)
  --history MODE         none: deliver only what is published after joining (default);
                           cached: also what the cluster still caches
  --ordered              Deliver each publisher's messages in order (a gap is waited
                           for up to 10 s, then skipped)
  --fanout N             Peers each new message is pushed to (default 3)
  --max-datagram N       Largest datagram in bytes, 64..65507 (default 512)
  --max-message-size N   Largest message in bytes, 1..1048576 (default 65536); a message
                           larger than one datagram travels as chunks
  --interval MS          Anti-entropy period in ms (default 1000)
  --exit-on-eof          Exit when stdin ends (default: keep serving)
  --log-level LEVEL      error, warning, info or debug on stderr (default warning)
  --key-file FILE        Seal every datagram with AES-256-GCM under the keys in FILE (one base64
                           key per line, the first seals; make one with "keygen")
  --label TEXT           Cluster label: nodes with another label ignore this one
  --signing-key FILE     Sign what this node publishes with the private key in FILE
                           (from "keygen --signing")
  --accept-publisher KEY Deliver only messages signed by this base64 public key; repeat for more
  --metrics HOST:PORT    Serve Prometheus metrics at http://HOST:PORT/metrics
  -h, --help             Show this help

Commands:
  keygen [--passphrase TEXT [--salt TEXT]] [--signing] [--out FILE]
                         Make a cluster key (or, with --signing, a publisher key pair);
                         "keygen --help" for details

Example, three nodes on one machine:
  deno run --allow-net cli.ts --listen 127.0.0.1:7001
  deno run --allow-net cli.ts --listen 127.0.0.1:7002 --seed 127.0.0.1:7001
  deno run --allow-net cli.ts --listen 127.0.0.1:7003 --seed 127.0.0.1:7001

Example, sealed (files need --allow-read, keygen --out needs --allow-write):
  deno run --allow-write=cluster.key cli.ts keygen --out cluster.key
  deno run --allow-net --allow-read=cluster.key cli.ts --key-file cluster.key --label prod
`;

function integer(
  flag: string,
  text: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new CliUsageError(`--${flag} ${text}: expected a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

function address(flag: string, text: string): string {
  if (!splitHostPort(text)) {
    throw new CliUsageError(`--${flag} ${text}: expected HOST:PORT, such as 127.0.0.1:7946`);
  }
  return text;
}

/**
 * Parses `args` (without the program name).
 *
 * @throws {CliUsageError} for an unknown flag, a missing value or a malformed value.
 *
 * @example
 * ```ts
 * import { parseCliArgs } from "./args.ts";
 * const config = parseCliArgs(["--listen", "127.0.0.1:7001", "--seed", "127.0.0.1:7000"]);
 * if (config.seeds[0] !== "127.0.0.1:7000") throw new Error("parsed");
 * ```
 */
export function parseCliArgs(args: readonly string[]): CliConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: "string" },
        seed: { type: "string", multiple: true },
        discover: { type: "string", multiple: true },
        json: { type: "boolean" },
        format: { type: "string" },
        queue: { type: "string" },
        "state-dir": { type: "string" },
        history: { type: "string" },
        ordered: { type: "boolean" },
        fanout: { type: "string" },
        "max-datagram": { type: "string" },
        "max-message-size": { type: "string" },
        interval: { type: "string" },
        "exit-on-eof": { type: "boolean" },
        "log-level": { type: "string" },
        "key-file": { type: "string" },
        label: { type: "string" },
        "signing-key": { type: "string" },
        "accept-publisher": { type: "string", multiple: true },
        metrics: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    const message = (error as Error).message.split("\n")[0] ?? "bad arguments";
    throw new CliUsageError(`${message} (see --help)`);
  }
  const v = parsed.values;
  const level = v["log-level"] ?? "warning";
  if (!["error", "warning", "info", "debug"].includes(level)) {
    throw new CliUsageError(`--log-level ${level}: expected error, warning, info or debug`);
  }
  const format = v.format ?? "text";
  if (!(PAYLOAD_FORMATS as readonly string[]).includes(format)) {
    throw new CliUsageError(`--format ${format}: expected text, base64 or hex`);
  }
  const history = v.history ?? "none";
  if (history !== "none" && history !== "cached") {
    throw new CliUsageError(`--history ${history}: expected none or cached`);
  }
  if (v["state-dir"] === "") throw new CliUsageError("--state-dir: expected a directory path");
  const discovery: Discovery[] = [];
  for (const spec of v.discover ?? []) {
    try {
      discovery.push(parseDiscovery(spec));
    } catch (error) {
      throw new CliUsageError(`--discover: ${(error as Error).message}`);
    }
  }
  const config: CliConfig = {
    help: v.help ?? false,
    listen: address("listen", v.listen ?? "127.0.0.1:0"),
    seeds: (v.seed ?? []).map((seed) => address("seed", seed)),
    discovery,
    json: v.json ?? false,
    format: format as PayloadFormat,
    queueSize: integer("queue", v.queue, 1, 10_000_000) ?? 65536,
    history,
    ordered: v.ordered ?? false,
    exitOnEof: v["exit-on-eof"] ?? false,
    logLevel: level as CliConfig["logLevel"],
    acceptPublishers: v["accept-publisher"] ?? [],
  };
  if (v["state-dir"] !== undefined) config.stateDir = v["state-dir"];
  if (v["key-file"] !== undefined) config.keyFile = v["key-file"];
  if (v.label !== undefined) config.label = v.label;
  if (v["signing-key"] !== undefined) config.signingKeyFile = v["signing-key"];
  if (v.metrics !== undefined) config.metrics = address("metrics", v.metrics);
  const fanout = integer("fanout", v.fanout, 1, 64);
  const maxDatagram = integer("max-datagram", v["max-datagram"], 64, 65507);
  const interval = integer("interval", v.interval, 1, 3_600_000);
  if (fanout !== undefined) config.fanout = fanout;
  if (maxDatagram !== undefined) config.maxDatagramSize = maxDatagram;
  const maxMessage = integer("max-message-size", v["max-message-size"], 1, 1_048_576);
  if (maxMessage !== undefined) config.maxMessageSize = maxMessage;
  if (interval !== undefined) config.antiEntropyIntervalMs = interval;
  return config;
}
