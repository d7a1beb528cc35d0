/**
 * Every tunable of the protocol, with its default and the reason for it, in one place.
 *
 * `resolveOptions()` fills in the defaults and checks ranges; a bad value throws a
 * {@linkcode GossipError} with code `invalid_option` that names the option and its allowed range.
 *
 * @module
 */

import { DEFAULT_OPTIONS } from "./defaults.ts";
import { GossipError } from "./errors.ts";
import type { Address } from "./wire/address.ts";
import { DATA_FRAME_HEADER, DATAGRAM_HEADER, MAX_UDP_PAYLOAD } from "./wire/codec.ts";

/** Protocol options shared by the engine, the simulator and the UDP node. */
export interface GossipOptions {
  /** Addresses to join through. A node with no seeds starts a cluster of its own. @default {[]} */
  seeds?: Address[];
  /**
   * Peers a new message is pushed to by each node on first receipt. 3 reaches all of a
   * 10,000-node cluster in about log3(N) + ln(N) rounds; more costs copies, fewer costs rounds.
   * @default {3}
   */
  fanout?: number;
  /**
   * Largest datagram sent, in bytes. 512 fits any path MTU without fragmentation (pittacus's
   * choice); 1400 suits a LAN; at most 65,507 (the UDP limit).
   * @default {512}
   */
  maxDatagramSize?: number;
  /**
   * A message is not forwarded after this many hops; bounds the damage of a loop. Trees at
   * 1,000 nodes under 10% loss reach 33 hops (grafts lengthen paths), and a message stopped at
   * the limit reaches the nodes below only by repair. @default {64}
   */
  maxHops?: number;
  /**
   * Period of the anti-entropy round (digest to one random peer) and of join retries, in ms.
   * @default {1000}
   */
  antiEntropyIntervalMs?: number;
  /** Message ids remembered to drop duplicates; oldest forgotten first. @default {100000} */
  seenCapacity?: number;
  /** Messages kept for repair (anti-entropy, pulls); oldest evicted first. @default {10000} */
  cacheMaxEntries?: number;
  /** Payload bytes kept for repair. @default {8388608} */
  cacheMaxBytes?: number;
  /** How long a message stays repairable, in ms. @default {120000} */
  cacheMaxAgeMs?: number;
  /**
   * How payloads spread.
   * - `"tree"`: Plumtree epidemic broadcast trees over the active view: eager push on tree links,
   *   lazy IHAVE on the others, duplicates prune, missing payloads graft. About one payload copy
   *   per node per message once the tree settles. Plus anti-entropy.
   * - `"pushpull"`: push to `fanout` random peers on first receipt, with ACKs and a pull
   *   fallback, plus anti-entropy. About `fanout` copies per node; no tree to settle.
   * - `"push"`: push with ACKs and pull fallback only; no periodic anti-entropy.
   * - `"pull"`: no push; anti-entropy rounds only (slow, cheapest when idle).
   * @default {"tree"}
   */
  mode?: BroadcastMode;
  /**
   * How long a pusher waits for ACKs before it falls back to announcing the id to more peers
   * (push modes). Several round trips of the network. @default {300}
   */
  ackTimeoutMs?: number;
  /** Peers beyond `fanout` that get the IHAVE when ACKs fall short of a majority. @default {3} */
  pullExtraPeers?: number;
  /**
   * Plumtree: wait this long after an IHAVE for the payload over the tree before grafting
   * (T1 in the paper). Must exceed the tree's usual lag behind the lazy path. Measured at 1,000
   * simulated nodes with 10-15 ms links, 100 messages from random publishers: 100 ms cut the
   * median time to full delivery (273 ms; 422 ms at 10% loss) but grafted slow paths (1.10-1.22
   * copies per node); 150 ms keeps copies at 1.06-1.13 for 316 ms (492 ms at 10% loss).
   * @default {150}
   */
  graftTimeoutMs?: number;
  /**
   * Plumtree: wait at most this long after a graft before asking again, the next announcer first
   * (T2); less once grafts are answered sooner (their smoothed round trip plus two deviations).
   * @default {50}
   */
  graftRetryMs?: number;
  /**
   * Plumtree: lazy IHAVEs are held this long and sent in batches, sharing datagrams.
   * @default {10}
   */
  lazyDelayMs?: number;
  /**
   * Plumtree: a neighbour gets at most one datagram of IHAVEs alone this often (ms); between,
   * its announcements wait, or ride along on any datagram that goes to it anyway. Under many
   * publishers this is what keeps announcements from costing a datagram per message per lazy
   * link. A payload lost on a busy tree link is announced sooner than this anyway: its sender
   * echoes the id on its next datagram to that peer. In `pushpull` at most 100. A calm node (no
   * loss over its last 64 payloads) waits four paces. @default {250}
   */
  lazyPaceMs?: number;
  /** Messages waiting for ACKs or for a graft, at most (older ones are dropped). @default {4096} */
  maxPending?: number;
  /**
   * Plumtree: origins that keep a broadcast tree of their own (least recently active evicted;
   * the others share one tree). Each costs two small sets of at most the active view.
   * @default {1024}
   */
  maxTrees?: number;
  /**
   * Plumtree: the anchor origin (whose tree seeds every new origin's tree) sends an empty beacon
   * down its tree when it has published nothing for this long, so the shared tree keeps being
   * pruned, grafted and shortened even when its publisher is quiet; 0 disables. @default {2000}
   */
  anchorBeaconMs?: number;
  /**
   * HyParView active view: symmetric neighbour links that are probed and carry the broadcast
   * trees. The paper sizes it log10(N) + c: 5 covers clusters up to ~10,000 nodes with c = 1 and
   * gives Plumtree 4 forward links per hop; more links cost probes and lazy IHAVEs.
   * @default {5}
   */
  activeViewSize?: number;
  /**
   * Passive view = the peer-sampling view of size c (Jelasity et al.): candidates that replace
   * failed neighbours and random targets for anti-entropy. 30 is the value of both papers; it
   * must survive the loss of most of its entries after a mass crash.
   * @default {30}
   */
  passiveViewSize?: number;
  /**
   * Period of the peer-sampling exchange (one SHUFFLE to the oldest passive entry). 2 s keeps
   * passive views fresh enough to refill active views within a few seconds after a mass crash,
   * at about 200 bytes/s per node; WAN deployments can slow it down.
   * @default {2000}
   */
  shuffleIntervalMs?: number;
  /**
   * Peer sampling healing H: after a merge, the H oldest entries are dropped first, so dead
   * peers (who stop refreshing their entries) age out. 3 as in the `gossip` crate: fast healing
   * without emptying the view of slow-but-live peers.
   * @default {3}
   */
  samplingHealing?: number;
  /**
   * Peer sampling swap S: after a merge, up to S of the entries just sent are dropped next
   * (the partner now holds them), which keeps views decorrelated. 12 of a 15-entry buffer, as in
   * the `gossip` crate.
   * @default {12}
   */
  samplingSwap?: number;
  /**
   * Peer sampling exchange: `"push"` sends a buffer, `"pull"` asks for one, `"pushpull"` does
   * both (the paper's recommendation: fastest mixing and self-healing).
   * @default {"pushpull"}
   */
  samplingMode?: SamplingMode;
  /**
   * A neighbour silent this long is pinged. Any datagram from it counts, so busy links are never
   * probed. 1 s as in SWIM/memberlist on a LAN.
   * @default {1000}
   */
  probeIntervalMs?: number;
  /**
   * Wait this long for a PONG before asking helpers (the indirect phase waits twice this). Must
   * exceed a round trip: 300 ms suits a LAN; use ~1000 on a WAN.
   * @default {300}
   */
  probeTimeoutMs?: number;
  /**
   * Helpers asked to PING a silent neighbour on this node's behalf before it is declared dead
   * (SWIM PING-REQ). 3 as in memberlist: one lost datagram or one bad link never evicts a peer.
   * @default {3}
   */
  indirectProbes?: number;
  /**
   * First delay before retrying a seed or a neighbour declared dead; doubled on each retry up to
   * `rejoinBackoffMaxMs`. This is how the halves of a healed partition find each other again.
   * @default {1000}
   */
  rejoinBackoffMs?: number;
  /**
   * Longest delay between retries of a seed or a lost neighbour (also the period of the slow
   * seed refresh of a joined node). Bounds how long a healed partition can stay split when every
   * other path has been forgotten.
   * @default {60000}
   */
  rejoinBackoffMaxMs?: number;
  /**
   * What a node that joins a running cluster (or restarts into it) delivers.
   * - `"none"`: only messages published after it joined. Messages the cluster still caches from
   *   before are recorded as seen but not delivered; "before" is learned from the first digests
   *   and live copies heard in a join window of 6 anti-entropy periods (lib/broadcast/history_gate.ts).
   * - `"cached"`: also whatever the cluster still caches (up to `cacheMaxAgeMs` old), in no
   *   particular order unless `ordered` is set.
   * @default {"none"}
   */
  history?: HistoryMode;
  /**
   * Deliver each origin's messages in sequence order: a message after a gap is held until the
   * gap is filled, for at most `orderHoldMs` and `orderMaxHeld` messages, then the gap is
   * skipped (counted in `orderSkipped`). Costs delivery latency under loss; off is fastest.
   * @default {false}
   */
  ordered?: boolean;
  /**
   * With `ordered`: longest wait behind a gap. Loss is repaired by grafts within a few hundred
   * ms and by anti-entropy within a few periods: at 20% loss the slowest of 30 messages reached
   * the last of 200 simulated nodes after 4.5 s (bench/ordered_bench.ts), and 3 s skipped gaps
   * at 1,000 nodes. A gap that outlives the wait is skipped for good.
   * @default {10000}
   */
  orderHoldMs?: number;
  /** With `ordered`: most messages of one origin held behind a gap. @default {1024} */
  orderMaxHeld?: number;
  /**
   * Largest message `publish()` accepts, in bytes, at most 1 MiB. A message that does not fit
   * one datagram of the size every node accepts (512 bytes, less 14 of headers) is sent as
   * chunks of that size, each a message of its own to the trees and repairs, and reassembled by
   * the receivers (4 bytes of chunk header per chunk; lib/broadcast/chunking.ts).
   * @default {65536}
   */
  maxMessageSize?: number;
  /**
   * Bytes held at most by partly received chunked messages (each chunk counted with 64 bytes of
   * bookkeeping); past it the oldest partial message is dropped and counted. At least twice
   * `maxMessageSize`. @default {4194304}
   */
  reassemblyMaxBytes?: number;
  /**
   * How long a partly received chunked message waits for its missing chunks (repairs included)
   * before it is dropped and counted. @default {60000}
   */
  reassemblyTimeoutMs?: number;
}

/** What a joining node delivers; see {@linkcode GossipOptions.history}. */
export type HistoryMode = "none" | "cached";

/** How a peer-sampling exchange runs; see {@linkcode GossipOptions.samplingMode}. */
export type SamplingMode = "push" | "pull" | "pushpull";

/** How payloads spread; see {@linkcode GossipOptions.mode}. */
export type BroadcastMode = "tree" | "pushpull" | "push" | "pull";

/** {@linkcode GossipOptions} with every default filled in. */
export type ResolvedOptions = Required<GossipOptions>;

/** The defaults, as documented on {@linkcode GossipOptions}; kept in lib/defaults.ts. */
export { DEFAULT_OPTIONS };

/** The largest `maxMessageSize` (1 MiB). */
export const MAX_MESSAGE_SIZE = 1024 * 1024;

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const shown = typeof value === "string" ? `the string ${JSON.stringify(value)}` : value;
    throw new GossipError(
      "invalid_option",
      `Invalid option ${name}: ${shown} is not a whole number from ${min} to ${max}`,
    );
  }
}

/**
 * Merges `options` over the defaults and validates every field.
 *
 * @example
 * ```ts
 * import { resolveOptions } from "./options.ts";
 * const options = resolveOptions({ fanout: 4 });
 * if (options.maxDatagramSize !== 512) throw new Error("default applies");
 * ```
 */
export function resolveOptions(options: GossipOptions = {}): ResolvedOptions {
  const resolved: ResolvedOptions = { ...DEFAULT_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as Record<string, unknown>)[key] = value;
  }
  checkInteger("fanout", resolved.fanout, 1, 64);
  checkInteger("maxDatagramSize", resolved.maxDatagramSize, 64, MAX_UDP_PAYLOAD);
  checkInteger("maxHops", resolved.maxHops, 1, 255);
  checkInteger("antiEntropyIntervalMs", resolved.antiEntropyIntervalMs, 1, 3_600_000);
  checkInteger("seenCapacity", resolved.seenCapacity, 16, 100_000_000);
  checkInteger("cacheMaxEntries", resolved.cacheMaxEntries, 1, 10_000_000);
  checkInteger("cacheMaxBytes", resolved.cacheMaxBytes, 1024, 2 ** 40);
  checkInteger("cacheMaxAgeMs", resolved.cacheMaxAgeMs, 1, 2 ** 40);
  checkInteger("ackTimeoutMs", resolved.ackTimeoutMs, 1, 600_000);
  checkInteger("pullExtraPeers", resolved.pullExtraPeers, 0, 64);
  checkInteger("graftTimeoutMs", resolved.graftTimeoutMs, 1, 600_000);
  checkInteger("graftRetryMs", resolved.graftRetryMs, 1, 600_000);
  checkInteger("lazyDelayMs", resolved.lazyDelayMs, 0, 60_000);
  checkInteger("lazyPaceMs", resolved.lazyPaceMs, 0, 60_000);
  checkInteger("maxPending", resolved.maxPending, 16, 10_000_000);
  checkInteger("maxTrees", resolved.maxTrees, 0, 1_000_000);
  checkInteger("anchorBeaconMs", resolved.anchorBeaconMs, 0, 3_600_000);
  checkInteger("activeViewSize", resolved.activeViewSize, 1, 64);
  checkInteger("passiveViewSize", resolved.passiveViewSize, 1, 1024);
  checkInteger("shuffleIntervalMs", resolved.shuffleIntervalMs, 1, 3_600_000);
  checkInteger("samplingHealing", resolved.samplingHealing, 0, 1024);
  checkInteger("samplingSwap", resolved.samplingSwap, 0, 1024);
  checkInteger("probeIntervalMs", resolved.probeIntervalMs, 1, 3_600_000);
  checkInteger("probeTimeoutMs", resolved.probeTimeoutMs, 1, 600_000);
  checkInteger("indirectProbes", resolved.indirectProbes, 0, 16);
  checkInteger("rejoinBackoffMs", resolved.rejoinBackoffMs, 1, 3_600_000);
  checkInteger(
    "rejoinBackoffMaxMs",
    resolved.rejoinBackoffMaxMs,
    resolved.rejoinBackoffMs,
    86_400_000,
  );
  checkInteger("orderHoldMs", resolved.orderHoldMs, 1, 3_600_000);
  checkInteger("orderMaxHeld", resolved.orderMaxHeld, 1, 1_000_000);
  checkInteger("maxMessageSize", resolved.maxMessageSize, 1, MAX_MESSAGE_SIZE);
  checkInteger(
    "reassemblyMaxBytes",
    resolved.reassemblyMaxBytes,
    2 * resolved.maxMessageSize,
    2 ** 40,
  );
  checkInteger("reassemblyTimeoutMs", resolved.reassemblyTimeoutMs, 1, 3_600_000);
  if (resolved.history !== "none" && resolved.history !== "cached") {
    throw new GossipError(
      "invalid_option",
      `Invalid option history: ${JSON.stringify(resolved.history)} is not "none" or "cached"`,
    );
  }
  if (typeof resolved.ordered !== "boolean") {
    throw new GossipError(
      "invalid_option",
      `Invalid option ordered: ${JSON.stringify(resolved.ordered)} is not true or false`,
    );
  }
  if (!["push", "pull", "pushpull"].includes(resolved.samplingMode)) {
    throw new GossipError(
      "invalid_option",
      `Invalid option samplingMode: "${resolved.samplingMode}" is not one of push, pull, pushpull`,
    );
  }
  if (!["tree", "pushpull", "push", "pull"].includes(resolved.mode)) {
    throw new GossipError(
      "invalid_option",
      `Invalid option mode: "${resolved.mode}" is not one of tree, pushpull, push, pull`,
    );
  }
  if (
    !Array.isArray(resolved.seeds) ||
    !(resolved.seeds as unknown[]).every((seed) => typeof seed === "string")
  ) {
    throw new GossipError("invalid_option", "Invalid option seeds: pass an array of host:port");
  }
  return resolved;
}

/** Largest payload one datagram can carry at `maxDatagramSize`. */
export function maxPayloadSize(maxDatagramSize: number): number {
  return maxDatagramSize - DATAGRAM_HEADER - DATA_FRAME_HEADER;
}
