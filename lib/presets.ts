/**
 * Whole-protocol presets for the usual deployments, built from one base (the defaults, which are
 * the LAN values) by overriding only what differs, as memberlist does.
 *
 * - `localOptions()`: one machine or a loopback test: fast rounds, short timers.
 * - `lanOptions()`: a data-centre network (RTT well under 10 ms): the defaults, 1400-byte
 *   datagrams because LAN MTUs are 1500.
 * - `wanOptions()`: RTTs of 100-300 ms and more loss: slower rounds, longer graft and ACK timers
 *   (a graft must wait out the tree's lag behind the lazy path), 512-byte datagrams that cross
 *   any path without fragmentation.
 *
 * @module
 */

import { MEMBERSHIP_PRESETS } from "./membership/membership_presets.ts";
import type { GossipOptions } from "./options.ts";

/**
 * Options for nodes on one machine (tests, the demo): rounds every 250 ms, grafts after 10 ms.
 *
 * @example
 * ```ts
 * import { localOptions } from "./presets.ts";
 * const options = { ...localOptions(), seeds: ["127.0.0.1:7001"] };
 * if (options.antiEntropyIntervalMs !== 250) throw new Error("local rounds are fast");
 * ```
 */
export function localOptions(): GossipOptions {
  return {
    ...MEMBERSHIP_PRESETS.local,
    antiEntropyIntervalMs: 250,
    ackTimeoutMs: 50,
    graftTimeoutMs: 10,
    graftRetryMs: 5,
    lazyDelayMs: 2,
    maxDatagramSize: 1400,
  };
}

/** Options for a data-centre LAN: the defaults with LAN-sized datagrams. */
export function lanOptions(): GossipOptions {
  return { ...MEMBERSHIP_PRESETS.lan, maxDatagramSize: 1400 };
}

/** Options for a wide-area network: slower rounds, patient timers, small datagrams. */
export function wanOptions(): GossipOptions {
  return {
    ...MEMBERSHIP_PRESETS.wan,
    antiEntropyIntervalMs: 3000,
    ackTimeoutMs: 1000,
    graftTimeoutMs: 800,
    graftRetryMs: 400,
    lazyDelayMs: 50,
    maxDatagramSize: 512,
  };
}
