/**
 * Every default of starling in one place, as memberlist keeps its in one `config.go`: the
 * protocol options, what the local/LAN/WAN presets change, the node's own settings, the
 * rate limit of the sealing layer and the bounds of the transports' receive queues. The modules
 * that apply a default read it from here; `GossipOptions` and `NodeOptions` document each one
 * beside the option, with the reason for it.
 *
 * Pure data (no I/O), so the sans-I/O engine may import it.
 *
 * @module
 */

import type { GossipOptions, ResolvedOptions } from "./options.ts";

/** The protocol defaults, as documented on `GossipOptions` (they are the LAN values). */
export const DEFAULT_OPTIONS: Readonly<ResolvedOptions> = Object.freeze({
  seeds: [],
  fanout: 3, // pushes per node on first receipt: about log3(N) + ln(N) rounds to all
  maxDatagramSize: 512, // crosses any path MTU unfragmented
  maxHops: 64,
  antiEntropyIntervalMs: 1000,
  seenCapacity: 100_000,
  cacheMaxEntries: 10_000,
  cacheMaxBytes: 8 * 1024 * 1024,
  cacheMaxAgeMs: 120_000,
  mode: "tree",
  ackTimeoutMs: 300,
  pullExtraPeers: 3,
  graftTimeoutMs: 150,
  graftRetryMs: 50,
  lazyDelayMs: 10,
  lazyPaceMs: 250,
  maxPending: 4096,
  maxTrees: 1024,
  anchorBeaconMs: 2000,
  activeViewSize: 5,
  passiveViewSize: 30,
  shuffleIntervalMs: 2000,
  samplingHealing: 3,
  samplingSwap: 12,
  samplingMode: "pushpull",
  probeIntervalMs: 1000,
  probeTimeoutMs: 300,
  indirectProbes: 3,
  rejoinBackoffMs: 1000,
  rejoinBackoffMaxMs: 60_000,
  history: "none",
  ordered: false,
  orderHoldMs: 10_000,
  orderMaxHeld: 1024,
  maxMessageSize: 65536,
  reassemblyMaxBytes: 4 * 1024 * 1024,
  reassemblyTimeoutMs: 60_000,
});

/** The deployments the presets are named after. */
export type PresetName = "local" | "lan" | "wan";

/**
 * What each preset changes from {@linkcode DEFAULT_OPTIONS}, and nothing else.
 *
 * - `local`: one machine or a loopback test (sub-millisecond RTT): fast rounds, short timers.
 * - `lan`: a data-centre network (RTT well under 10 ms): the defaults, with 1400-byte datagrams
 *   because LAN MTUs are 1500.
 * - `wan`: RTTs of 100-300 ms and more loss: slower rounds and exchange, more probe helpers,
 *   longer graft and ACK timers (a graft must wait out the tree's lag behind the lazy path),
 *   512-byte datagrams that cross any path without fragmentation.
 */
export const PRESET_OVERRIDES: Readonly<Record<PresetName, Readonly<GossipOptions>>> = Object
  .freeze({
    local: Object.freeze({
      shuffleIntervalMs: 1000,
      probeIntervalMs: 500,
      probeTimeoutMs: 100,
      indirectProbes: 3,
      rejoinBackoffMs: 500,
      rejoinBackoffMaxMs: 30_000,
      antiEntropyIntervalMs: 250,
      ackTimeoutMs: 50,
      graftTimeoutMs: 10,
      graftRetryMs: 5,
      lazyDelayMs: 2,
      maxDatagramSize: 1400,
    }),
    lan: Object.freeze({
      shuffleIntervalMs: 2000,
      probeIntervalMs: 1000,
      probeTimeoutMs: 300,
      indirectProbes: 3,
      rejoinBackoffMs: 1000,
      rejoinBackoffMaxMs: 60_000,
      maxDatagramSize: 1400,
    }),
    wan: Object.freeze({
      shuffleIntervalMs: 10_000,
      probeIntervalMs: 5000,
      probeTimeoutMs: 1500,
      indirectProbes: 4,
      rejoinBackoffMs: 5000,
      rejoinBackoffMaxMs: 300_000,
      antiEntropyIntervalMs: 3000,
      ackTimeoutMs: 1000,
      graftTimeoutMs: 800,
      graftRetryMs: 400,
      lazyDelayMs: 50,
      lazyPaceMs: 500,
      maxDatagramSize: 512,
    }),
  });

/** Defaults of a node's own settings (`NodeOptions` beyond the protocol). */
export const NODE_DEFAULTS: Readonly<{
  listen: string;
  discoveryIntervalMs: number;
  messageQueueSize: number;
}> = Object.freeze({
  listen: "127.0.0.1:0", // loopback, a free port: nothing is exposed unless asked
  discoveryIntervalMs: 10_000, // partitions heal and replaced peers are found within 10 s
  messageQueueSize: 1024, // per messages() reader; the oldest is dropped beyond it
});

/** Per-source rate limit of the sealing layer (`NodeOptions.rateLimit`). */
export interface RateLimit {
  /** Datagrams per second accepted from one source address. @default {2000} */
  ratePerSecond: number;
  /** Datagrams one source may send in a burst above the rate. @default {2000} */
  burst: number;
  /** Source addresses tracked; the least recently seen is forgotten beyond it. @default {4096} */
  maxSources: number;
}

/** The rate limit's defaults (docs/SECURITY.md, "Rate limit"). */
export const RATE_LIMIT_DEFAULTS: Readonly<RateLimit> = Object.freeze({
  ratePerSecond: 2000,
  burst: 2000,
  maxSources: 4096,
});

/** Received datagrams a transport buffers while its consumer is busy; newer ones are dropped. */
export const TRANSPORT_QUEUE_SIZE = 4096;
