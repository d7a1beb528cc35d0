/**
 * Membership timing presets: spread one into the options, e.g.
 * `{ ...MEMBERSHIP_PRESETS.wan, seeds }`. Only membership options are set here.
 *
 * @module
 */

import type { GossipOptions } from "../options.ts";

/** Membership options only. */
export type MembershipPreset = Pick<
  GossipOptions,
  | "shuffleIntervalMs"
  | "probeIntervalMs"
  | "probeTimeoutMs"
  | "indirectProbes"
  | "rejoinBackoffMs"
  | "rejoinBackoffMaxMs"
>;

/**
 * - `local`: one host or the simulator (sub-millisecond RTT): fast probing and exchange.
 * - `lan`: the defaults (RTT well under 100 ms).
 * - `wan`: RTTs of 100–300 ms and more loss: longer timeouts, slower exchange, more helpers.
 */
export const MEMBERSHIP_PRESETS: Readonly<Record<"local" | "lan" | "wan", MembershipPreset>> =
  Object.freeze({
    local: {
      shuffleIntervalMs: 1000,
      probeIntervalMs: 500,
      probeTimeoutMs: 100,
      indirectProbes: 3,
      rejoinBackoffMs: 500,
      rejoinBackoffMaxMs: 30_000,
    },
    lan: {
      shuffleIntervalMs: 2000,
      probeIntervalMs: 1000,
      probeTimeoutMs: 300,
      indirectProbes: 3,
      rejoinBackoffMs: 1000,
      rejoinBackoffMaxMs: 60_000,
    },
    wan: {
      shuffleIntervalMs: 10_000,
      probeIntervalMs: 5000,
      probeTimeoutMs: 1500,
      indirectProbes: 4,
      rejoinBackoffMs: 5000,
      rejoinBackoffMaxMs: 300_000,
    },
  });
