/**
 * SWIM-style failure detection on the active links, with Lifeguard's suspicion stage and local
 * health (see suspicion.ts and local_health.ts).
 *
 * Each neighbour goes through a small state machine:
 *
 * ```
 *   idle ──(nothing heard for the probe interval)──▶ direct: PING
 *   direct ──(probe timeout, nothing heard)──▶ indirect: PING again + PING-REQ to k helpers
 *   indirect ──(2 × probe timeout, nothing heard)──▶ suspect: notices + fresh helpers
 *   suspect ──(suspicion window, no proof of life)──▶ dead
 *   direct, indirect ──(any datagram from the peer, or a PONG relayed by a helper)──▶ idle
 *   suspect ──(ALIVE echoing the nonce, or a PONG to the probe)──▶ idle
 * ```
 *
 * Any datagram counts as a sign of life before the suspicion, so busy links are never probed. At
 * 20% loss per datagram one probe round misses a healthy peer with probability about 0.36 × 0.36
 * × 0.59³ ≈ 2.7%; without the suspicion stage that was a false death (13,618 in 10 minutes at
 * 1,000 nodes). In the suspicion window (1.2–1.8 s) the suspect gets a notice every half timeout
 * (each exchange lost with probability 0.36) and helpers probe it again every timeout (all three
 * miss with probability 0.2), so a live peer stays suspected to the end of even the shortest
 * window with probability about 0.36⁸ × 0.2⁴ ≈ 5 × 10⁻⁷. A crashed peer is dropped within the
 * interval, three timeouts and the window: 3.1–4.0 s with the defaults.
 *
 * Probe timeouts, and the window of a suspicion starting, are multiplied by the local health
 * multiplier (1 when healthy).
 * Helpers keep a small bounded relay table: a PING-REQ makes them PING the target with the
 * "indirect" bit set and pass the PONG back with the requester's sequence number, or a NACK
 * after one probe timeout when the requester asked for one.
 *
 * Pure: time comes from the `now` arguments, randomness from the injected generator.
 *
 * @module
 */

import { type Prng, seededPrng } from "../core/prng.ts";
import type { Address } from "../wire/address.ts";
import { noEntries, ownMap } from "../core/no_entries.ts";
import { createDetectorCounters, type DetectorCounters } from "./detector_counters.ts";
import { LocalHealth } from "./local_health.ts";
import { NACK_BIT, ProbeRelays, SEQ_MASK } from "./probe_relays.ts";
import {
  MAX_RELAYED_REFUTATIONS,
  SUSPICION_MAX_TIMEOUTS,
  SUSPICION_MIN_TIMEOUTS,
  suspicionWindow,
} from "./suspicion.ts";

export { INDIRECT_BIT, NACK_BIT } from "./probe_relays.ts";
export type { DetectorCounters } from "./detector_counters.ts";
/** Helpers remembered per suspicion (confirmations count only from them). */
const MAX_ASKED = 16;

/** Timing of the detector. */
export interface DetectorTiming {
  /** Silence after which a neighbour is pinged. */
  probeIntervalMs: number;
  /** Wait for a PONG before going indirect; the indirect phase waits twice this. */
  probeTimeoutMs: number;
  /** Helpers asked to probe on this node's behalf. */
  indirectProbes: number;
}

/** How the detector reaches the network. */
export interface ProbeActions {
  /** Send a PING with `value` to `target`. */
  ping(target: Address, value: number): void;
  /** Ask `helper` to probe `target` and answer with `value`. */
  pingReq(helper: Address, target: Address, value: number): void;
  /** Up to `count` peers other than `target` to ask for indirect probes. */
  helpers(target: Address, count: number): Address[];
  /** Tell `target` it is suspected at `incarnation`; it answers ALIVE with `nonce`. */
  notice?(target: Address, incarnation: number, nonce: number): void;
  /** Tell `requester` that the target of its probe `value` did not answer this helper. */
  nack?(requester: Address, value: number): void;
}

const IDLE = 0;
const DIRECT = 1;
const INDIRECT = 2;
const SUSPECT = 3;
const PHASES = ["idle", "direct", "indirect", "suspect"] as const;

/** Where a watched peer is in the state machine. */
export type ProbePhase = typeof PHASES[number];

interface Watch {
  /** The watched peer. */
  address: Address;
  /** Extra silence tolerated before probing: 0 for the side that probes the link. */
  slack: number;
  lastHeard: number;
  lastProbe: number;
  phase: number;
  seq: number;
  /** End of the direct or indirect phase; next notice while suspected. */
  deadline: number;
  /** Highest incarnation the peer proved (ALIVE). */
  incarnation: number;
  /** Nonce of the current suspicion's notices. */
  nonce: number;
  /** When the suspicion began. */
  suspectedAt: number;
  /** The local health multiplier when it began: an unhealthy node suspects for longer. */
  windowScale: number;
  /** Notices sent in this suspicion. */
  rounds: number;
  /** Helpers asked in this probe and suspicion; those that sent a NACK. */
  asked: Address[];
  nacked: Address[];
  /** Suspicions ended by relayed PONGs alone, with nothing heard from the peer in between. */
  relayOnly: number;
}

const NO_DEAD: readonly Address[] = Object.freeze([]);

/** Probes the neighbours and reports the dead. */
export class FailureDetector {
  // Made at the first watch (see no_entries.ts).
  #watched: Map<Address, Watch> = noEntries();
  #seq = 0;
  readonly #rng: Prng;
  /** Probes run for other nodes (the helper's side). */
  readonly relays: ProbeRelays;
  /** Lifeguard's local health: stretches this node's probe timing when it seems to be at fault. */
  readonly health: LocalHealth = new LocalHealth();
  /** Counters for `stats()`. */
  readonly counters: DetectorCounters = createDetectorCounters();

  /**
   * @param timing Probe interval, timeout and number of helpers.
   * @param actions Where PINGs, PING-REQs, notices and NACKs go.
   * @param rng Source of the suspicion nonces (the engine's seeded generator).
   */
  constructor(
    readonly timing: DetectorTiming,
    readonly actions: ProbeActions,
    rng: Prng = seededPrng(1),
  ) {
    this.#rng = rng;
    this.relays = new ProbeRelays(
      timing.probeTimeoutMs,
      this.counters,
      (requester, value) => actions.nack?.(requester, value),
    );
  }

  /** Peers being watched. */
  get size(): number {
    return this.#watched.size;
  }

  /**
   * Starts watching a new neighbour (counts as heard now).
   *
   * @param prober True on the one side of the link that probes it (the caller picks, e.g. the
   *   lower node id). The other side waits `probeTimeoutMs` longer, so the prober's PING reaches
   *   it first and both sides are satisfied by one PING/PONG per interval instead of two; it still
   *   probes by itself when the prober falls silent.
   */
  track(address: Address, now: number, prober = true): void {
    this.untrack(address);
    (this.#watched = ownMap(this.#watched)).set(address, {
      address,
      slack: prober ? 0 : this.timing.probeTimeoutMs,
      lastHeard: now,
      lastProbe: now,
      phase: IDLE,
      seq: 0,
      deadline: 0,
      incarnation: 0,
      nonce: 0,
      suspectedAt: 0,
      windowScale: 1,
      rounds: 0,
      asked: [],
      nacked: [],
      relayOnly: 0,
    });
  }

  /** Stops watching `address`. */
  untrack(address: Address): void {
    const watch = this.#watched.get(address);
    if (!watch) return;
    this.#watched.delete(address);
  }

  /** The phase of `address`, or undefined when not watched. */
  phase(address: Address): ProbePhase | undefined {
    const watch = this.#watched.get(address);
    return watch && PHASES[watch.phase];
  }

  /**
   * Something arrived from `address`: it is alive, unless it is suspected (then only an ALIVE or
   * a PONG to the probe ends the suspicion: a source address alone is easy to forge).
   */
  heard(address: Address, now: number): void {
    const watch = this.#watched.get(address);
    if (!watch) return;
    watch.lastHeard = now;
    if (watch.phase === SUSPECT) return;
    // The peer spoke for itself since its last suspicion: relays may vouch for it again.
    watch.relayOnly = 0;
    if (watch.phase === DIRECT || watch.phase === INDIRECT) {
      this.health.probeSucceeded();
      this.#settle(watch);
    }
  }

  /**
   * A PONG with `value` arrived from `from`: the probed peer itself, or a helper relaying its
   * answer. Returns the watched peer it answers for, or undefined when it matches no probe in
   * flight.
   */
  acknowledged(value: number, now: number, from?: Address): Address | undefined {
    const watch = this.#probed(value & SEQ_MASK);
    if (watch === undefined) return undefined;
    const address = watch.address;
    if (watch.phase !== SUSPECT) {
      this.heard(address, now);
    } else if (from === address) {
      this.#refute(watch, now, false);
    } else if (watch.relayOnly < MAX_RELAYED_REFUTATIONS) {
      this.#refute(watch, now, true);
    } else {
      this.counters.relayRefutationsRefused++;
    }
    return address;
  }

  /**
   * The suspect at `address` answered a notice: alive at `incarnation`, echoing `nonce`. True
   * when that ended its suspicion (a current nonce and a newer incarnation).
   */
  alive(address: Address, incarnation: number, nonce: number, now: number): boolean {
    const watch = this.#watched.get(address);
    if (!watch || watch.phase !== SUSPECT || nonce !== watch.nonce) return false;
    if (incarnation <= watch.incarnation) return false;
    watch.incarnation = incarnation;
    this.#refute(watch, now, false);
    return true;
  }

  /**
   * Helper `from` could not reach the target of our probe `value`. Returns the time the
   * detector must run again (an earlier end of the suspicion), or undefined when the NACK
   * matches no probe in flight or no helper asked for it.
   */
  nacked(from: Address, value: number): number | undefined {
    const watch = this.#probed(value & SEQ_MASK);
    if (watch === undefined) return undefined;
    if (!watch.asked.includes(from) || watch.nacked.includes(from)) return undefined;
    watch.nacked.push(from);
    this.counters.confirmations++;
    return watch.phase === SUSPECT ? this.#suspicionEnd(watch) : watch.deadline;
  }

  /** Helper side: see {@linkcode ProbeRelays.start}. */
  startRelay(requester: Address, value: number, now: number): number | undefined {
    return this.relays.start(requester, value, now);
  }

  /** Helper side: see {@linkcode ProbeRelays.finish}. */
  finishRelay(value: number): { requester: Address; seq: number } | undefined {
    return this.relays.finish(value);
  }

  /**
   * Sends due probes, notices and NACKs, and returns the peers found dead (already untracked)
   * and the next time the detector needs to run.
   */
  tick(now: number): { dead: readonly Address[]; next: number } {
    // Made only when a peer died: the detector runs at every tick.
    let dead: Address[] | undefined;
    let next = Infinity;
    this.health.relax(now, this.timing.probeIntervalMs);
    const timeout = this.timing.probeTimeoutMs * this.health.multiplier;
    for (const watch of this.#watched.values()) {
      const address = watch.address;
      if (watch.phase === IDLE) {
        const due = Math.max(watch.lastHeard, watch.lastProbe) + this.timing.probeIntervalMs +
          watch.slack;
        if (now < due) {
          next = Math.min(next, due);
          continue;
        }
        watch.phase = DIRECT;
        watch.seq = this.#nextSeq();
        watch.lastProbe = now;
        watch.deadline = now + timeout;
        // New arrays only when the last probe used them: most probes are answered directly,
        // and two arrays per probe that live a probe interval were old-space garbage.
        if (watch.asked.length > 0) watch.asked = [];
        if (watch.nacked.length > 0) watch.nacked = [];
        this.counters.probes++;
        this.actions.ping(address, watch.seq);
      } else if (watch.phase === DIRECT && now >= watch.deadline) {
        watch.phase = INDIRECT;
        watch.deadline = now + 2 * timeout;
        this.counters.suspicions++;
        this.counters.probes++;
        this.actions.ping(address, watch.seq);
        this.#askHelpers(address, watch);
      } else if (watch.phase === INDIRECT && now >= watch.deadline) {
        // The window is set by the health before this round's penalty.
        this.#suspect(address, watch, now);
        this.health.probeFailed(watch.asked.length, this.#silentLiveHelpers(watch), now);
      } else if (watch.phase === SUSPECT) {
        if (now >= this.#suspicionEnd(watch)) {
          (dead ??= []).push(address);
          continue;
        }
        if (now >= watch.deadline) this.#noticeRound(address, watch, now);
        next = Math.min(next, this.#suspicionEnd(watch));
      }
      next = Math.min(next, watch.deadline);
    }
    for (const address of dead ?? NO_DEAD) {
      this.untrack(address);
      this.counters.deaths++;
    }
    if (this.relays.size > 0) next = Math.min(next, this.relays.run(now));
    this.counters.localHealth = this.health.score;
    return { dead: dead ?? NO_DEAD, next };
  }

  #suspect(address: Address, watch: Watch, now: number): void {
    watch.phase = SUSPECT;
    watch.suspectedAt = now;
    watch.windowScale = this.health.multiplier;
    watch.rounds = 0;
    // Nonzero, so that no echo of a field left at 0 matches it.
    watch.nonce = 1 + Math.floor(this.#rng() * 0xffff_fffe);
    this.counters.suspected++;
    this.#noticeRound(address, watch, now);
  }

  /**
   * A notice every half probe timeout (not stretched by local health: an unhealthy node gets a
   * longer window instead); every second one also asks helpers to probe again.
   */
  #noticeRound(address: Address, watch: Watch, now: number): void {
    this.counters.notices++;
    this.actions.notice?.(address, watch.incarnation, watch.nonce);
    if (watch.rounds % 2 === 1) this.#askHelpers(address, watch);
    watch.rounds++;
    watch.deadline = now + Math.max(1, Math.floor(this.timing.probeTimeoutMs / 2));
  }

  #suspicionEnd(watch: Watch): number {
    const { probeTimeoutMs, indirectProbes } = this.timing;
    return watch.suspectedAt + watch.windowScale * suspicionWindow(
          SUSPICION_MIN_TIMEOUTS * probeTimeoutMs,
          SUSPICION_MAX_TIMEOUTS * probeTimeoutMs,
          watch.nacked.length,
          indirectProbes,
        );
  }

  /**
   * Helpers asked that did not NACK although they look alive (neighbours answering their own
   * probes): only those point at this node. A helper that crashed with the target (a mass
   * failure) or a passive peer of unknown state does not count.
   */
  #silentLiveHelpers(watch: Watch): number {
    let silent = 0;
    for (const helper of watch.asked) {
      if (watch.nacked.includes(helper)) continue;
      if (this.#watched.get(helper)?.phase === IDLE) silent++;
    }
    return silent;
  }

  #askHelpers(address: Address, watch: Watch): void {
    for (const helper of this.actions.helpers(address, this.timing.indirectProbes)) {
      if (!watch.asked.includes(helper)) {
        if (watch.asked.length >= MAX_ASKED) continue;
        watch.asked.push(helper);
      }
      this.counters.indirectProbes++;
      this.actions.pingReq(helper, address, watch.seq | NACK_BIT);
    }
  }

  #refute(watch: Watch, now: number, relayed: boolean): void {
    watch.relayOnly = relayed ? watch.relayOnly + 1 : 0;
    watch.lastHeard = now;
    this.counters.suspicionsRefuted++;
    this.#settle(watch);
  }

  #settle(watch: Watch): void {
    if (watch.phase !== DIRECT) this.counters.refuted++;
    watch.phase = IDLE;
  }

  #nextSeq(): number {
    do {
      this.#seq = (this.#seq + 1) & SEQ_MASK;
    } while (this.#seq === 0 || this.#probed(this.#seq) !== undefined);
    return this.#seq;
  }

  /**
   * The watch with a probe `seq` in flight (every phase but idle has one, all different). A scan
   * of the few watched neighbours: a map by sequence number, set at every probe and emptied at
   * every answer, reallocated its table every few probes (in V8's old space once old).
   */
  #probed(seq: number): Watch | undefined {
    for (const watch of this.#watched.values()) {
      if (watch.phase !== IDLE && watch.seq === seq) return watch;
    }
    return undefined;
  }
}
