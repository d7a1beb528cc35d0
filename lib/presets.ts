/**
 * Whole-protocol presets for the usual deployments, built from one base (the defaults, which are
 * the LAN values) by overriding only what differs, as memberlist does. The values live in
 * lib/defaults.ts (`PRESET_OVERRIDES`) with every other default.
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

import { PRESET_OVERRIDES } from "./defaults.ts";
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
  return { ...PRESET_OVERRIDES.local };
}

/** Options for a data-centre LAN: the defaults with LAN-sized datagrams. */
export function lanOptions(): GossipOptions {
  return { ...PRESET_OVERRIDES.lan };
}

/** Options for a wide-area network: slower rounds, patient timers, small datagrams. */
export function wanOptions(): GossipOptions {
  return { ...PRESET_OVERRIDES.wan };
}
