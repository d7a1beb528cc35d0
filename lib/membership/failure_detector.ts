/**
 * SWIM-style failure detection on the active links.
 *
 * Each neighbour goes through a small state machine:
 *
 * ```
 *   idle ──(nothing heard for probeIntervalMs)──▶ direct: PING
 *   direct ──(probeTimeoutMs, nothing heard)──▶ indirect: PING again + PING-REQ to k helpers
 *   indirect ──(2 × probeTimeoutMs, nothing heard)──▶ dead
 *   any ──(any datagram from the peer, or a PONG relayed by a helper)──▶ idle
 * ```
 *
 * Any datagram counts as a sign of life, so busy links are never probed. One lost datagram never
 * evicts a peer: a PING or PONG lost is covered by the second PING and by the k indirect paths,
 * which also route around a broken direct link. At 20% loss per datagram a healthy peer is
 * declared dead with probability about 0.36 × 0.36 × 0.59³ ≈ 2.7% per silent interval, and in
 * practice much less because other traffic counts as heard.
 *
 * Helpers keep a small bounded relay table: a PING-REQ makes them PING the target with the
 * "indirect" bit set and pass the PONG back with the requester's sequence number.
 *
 * Pure: time comes from the `now` arguments.
 *
 * @module
 */

import type { Address } from "../wire/address.ts";

/** Bit set in a PING/PONG value when the ping is sent on someone else's behalf. */
export const INDIRECT_BIT = 0x8000_0000;
const SEQ_MASK = 0x7fff_ffff;
/** Relay entries a helper keeps at most. */
const MAX_RELAYS = 64;

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
  /** Ask `helper` to probe `target` and answer with `seq`. */
  pingReq(helper: Address, target: Address, seq: number): void;
  /** Up to `count` peers other than `target` to ask for indirect probes. */
  helpers(target: Address, count: number): Address[];
}

const IDLE = 0;
const DIRECT = 1;
const INDIRECT = 2;

interface Watch {
  /** Extra silence tolerated before probing: 0 for the side that probes the link. */
  slack: number;
  lastHeard: number;
  lastProbe: number;
  phase: number;
  seq: number;
  deadline: number;
}

interface Relay {
  requester: Address;
  seq: number;
  expires: number;
}

/** Counters of the detector. */
export interface DetectorCounters {
  /** Direct PINGs sent. */
  probes: number;
  /** PING-REQs sent. */
  indirectProbes: number;
  /** Peers that missed the direct PONG and went to the indirect phase. */
  suspicions: number;
  /** Suspected peers that turned out alive. */
  refuted: number;
  /** Peers declared dead. */
  deaths: number;
  /** PINGs sent for other nodes (as a helper). */
  relayed: number;
  /** PING-REQs refused because the relay table was full. */
  relayDropped: number;
}

/** Probes the neighbours and reports the dead. */
export class FailureDetector {
  #watched = new Map<Address, Watch>();
  #bySeq = new Map<number, Address>();
  #relays = new Map<number, Relay>();
  #seq = 0;
  /** Counters for `stats()`. */
  readonly counters: DetectorCounters = {
    probes: 0,
    indirectProbes: 0,
    suspicions: 0,
    refuted: 0,
    deaths: 0,
    relayed: 0,
    relayDropped: 0,
  };

  /**
   * @param timing Probe interval, timeout and number of helpers.
   * @param actions Where PINGs and PING-REQs go.
   */
  constructor(readonly timing: DetectorTiming, readonly actions: ProbeActions) {}

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
    this.#watched.set(address, {
      slack: prober ? 0 : this.timing.probeTimeoutMs,
      lastHeard: now,
      lastProbe: now,
      phase: IDLE,
      seq: 0,
      deadline: 0,
    });
  }

  /** Stops watching `address`. */
  untrack(address: Address): void {
    const watch = this.#watched.get(address);
    if (!watch) return;
    if (watch.phase !== IDLE) this.#bySeq.delete(watch.seq);
    this.#watched.delete(address);
  }

  /** The phase of `address`: "idle", "direct", "indirect", or undefined when not watched. */
  phase(address: Address): "idle" | "direct" | "indirect" | undefined {
    const watch = this.#watched.get(address);
    if (!watch) return undefined;
    return watch.phase === IDLE ? "idle" : watch.phase === DIRECT ? "direct" : "indirect";
  }

  /** Something arrived from `address`: it is alive. */
  heard(address: Address, now: number): void {
    const watch = this.#watched.get(address);
    if (!watch) return;
    watch.lastHeard = now;
    if (watch.phase !== IDLE) this.#settle(watch);
  }

  /**
   * A PONG with `value` arrived (directly or relayed). Returns the watched peer it answers for,
   * or undefined when it matches no probe in flight.
   */
  acknowledged(value: number, now: number): Address | undefined {
    const address = this.#bySeq.get(value & SEQ_MASK);
    if (address === undefined) return undefined;
    this.heard(address, now);
    return address;
  }

  /**
   * Helper side: a PING-REQ from `requester` for its probe `seq`. Returns the PING value to send
   * to the target, or undefined when the relay table is full.
   */
  startRelay(requester: Address, seq: number, now: number): number | undefined {
    if (this.#relays.size >= MAX_RELAYS) {
      this.#expireRelays(now);
      if (this.#relays.size >= MAX_RELAYS) {
        this.counters.relayDropped++;
        return undefined;
      }
    }
    const mine = this.#nextSeq();
    this.#relays.set(mine, {
      requester,
      seq,
      expires: now + 3 * this.timing.probeTimeoutMs,
    });
    this.counters.relayed++;
    return mine | INDIRECT_BIT;
  }

  /** Helper side: the target answered our relayed PING; where to send the PONG, if anywhere. */
  finishRelay(value: number): { requester: Address; seq: number } | undefined {
    if ((value & INDIRECT_BIT) === 0) return undefined;
    const key = value & SEQ_MASK;
    const relay = this.#relays.get(key);
    if (!relay) return undefined;
    this.#relays.delete(key);
    return { requester: relay.requester, seq: relay.seq };
  }

  /**
   * Sends due probes and returns the peers found dead (already untracked) and the next time the
   * detector needs to run.
   */
  tick(now: number): { dead: Address[]; next: number } {
    const { probeIntervalMs, probeTimeoutMs, indirectProbes } = this.timing;
    const dead: Address[] = [];
    let next = Infinity;
    for (const [address, watch] of this.#watched) {
      if (watch.phase === IDLE) {
        const due = Math.max(watch.lastHeard, watch.lastProbe) + probeIntervalMs + watch.slack;
        if (now >= due) {
          watch.phase = DIRECT;
          watch.seq = this.#nextSeq();
          watch.lastProbe = now;
          watch.deadline = now + probeTimeoutMs;
          this.#bySeq.set(watch.seq, address);
          this.counters.probes++;
          this.actions.ping(address, watch.seq);
        } else {
          next = Math.min(next, due);
          continue;
        }
      } else if (now >= watch.deadline) {
        if (watch.phase === DIRECT) {
          watch.phase = INDIRECT;
          watch.deadline = now + 2 * probeTimeoutMs;
          this.counters.suspicions++;
          this.counters.probes++;
          this.actions.ping(address, watch.seq);
          for (const helper of this.actions.helpers(address, indirectProbes)) {
            this.counters.indirectProbes++;
            this.actions.pingReq(helper, address, watch.seq);
          }
        } else {
          dead.push(address);
          continue;
        }
      }
      next = Math.min(next, watch.deadline);
    }
    for (const address of dead) {
      this.untrack(address);
      this.counters.deaths++;
    }
    if (this.#relays.size > 0) this.#expireRelays(now);
    return { dead, next };
  }

  #settle(watch: Watch): void {
    if (watch.phase === INDIRECT) this.counters.refuted++;
    this.#bySeq.delete(watch.seq);
    watch.phase = IDLE;
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) & SEQ_MASK;
    if (this.#seq === 0) this.#seq = 1;
    return this.#seq;
  }

  #expireRelays(now: number): void {
    for (const [key, relay] of this.#relays) if (relay.expires <= now) this.#relays.delete(key);
  }
}
