/**
 * Lifeguard's local health multiplier (Dadgar, Phillips, Currey 2017; memberlist's "awareness").
 *
 * A node that misses answers may be the one at fault: its CPU is starved, its socket buffer full,
 * its own link lossy. Then every peer looks dead to it, and it would declare them dead one by
 * one. So the node keeps a score of its own health and stretches its probe interval and timeout
 * by `1 + score`:
 *
 * - a probe round that ended in suspicion adds one per helper that seems alive (a neighbour
 *   answering its own probes) but whose NACK did not come back: that points at this node. One
 *   when no helper could be asked;
 * - being suspected by a neighbour (a notice that made this node refute) adds one;
 * - the node's own timers firing late (its driver saw the event loop lag by a quarter of a probe
 *   timeout or more: a starved CPU, a long pause) adds one, at most once per probe timeout;
 * - every answered probe takes one off, and so does every probe interval without a new penalty
 *   (this detector probes only silent links, so a node whose links are busy hears few answers of
 *   its own and would otherwise stay penalised).
 *
 * The score stays in 0..max-1, so the multiplier is bounded by `max` (memberlist: 8).
 *
 * @module
 */

/** Largest multiplier of the probe timing, as memberlist's `AwarenessMaxMultiplier`. */
export const LOCAL_HEALTH_MAX = 8;

/** A node's estimate of its own health, as a multiplier of its probe timing. */
export class LocalHealth {
  #score = 0;
  /** Time of the last penalty or relaxation. */
  #since = 0;
  /** Time of the last lag penalty. */
  #lastLag = -Infinity;

  /** @param max Largest multiplier (the score stays below it); at least 1. */
  constructor(readonly max: number = LOCAL_HEALTH_MAX) {}

  /** 0 when healthy, up to `max - 1`. */
  get score(): number {
    return this.#score;
  }

  /** What probe intervals and timeouts are multiplied by: `1 + score`. */
  get multiplier(): number {
    return 1 + this.#score;
  }

  /** A probe was answered. */
  probeSucceeded(): void {
    this.#add(-1);
  }

  /**
   * A probe round ended with the peer suspected. `helpersAsked` helpers got a PING-REQ, and
   * `silentLive` of them seem alive yet sent no NACK (the target did not answer them either, or
   * this node lost their NACKs).
   */
  probeFailed(helpersAsked: number, silentLive: number, now: number): void {
    const penalty = helpersAsked === 0 ? 1 : silentLive;
    if (penalty > 0) this.#since = now;
    this.#add(penalty);
  }

  /** A neighbour suspected this node (it had to refute). */
  suspected(now: number): void {
    this.#since = now;
    this.#add(1);
  }

  /**
   * The driver saw this node's timers fire `lagMs` late at `now`. Answers to its probes were then
   * read that much late too, so silence is no evidence against its peers.
   */
  lagged(lagMs: number, timeoutMs: number, now: number): void {
    if (lagMs < timeoutMs / 4 || now - this.#lastLag < timeoutMs) return;
    this.#lastLag = now;
    this.#since = now;
    this.#add(1);
  }

  /** Takes one off per `periodMs` since the last penalty or relaxation. */
  relax(now: number, periodMs: number): void {
    if (this.#score === 0) return;
    const periods = Math.floor((now - this.#since) / periodMs);
    if (periods <= 0) return;
    this.#since += periods * periodMs;
    this.#add(-periods);
  }

  #add(delta: number): void {
    this.#score = Math.min(this.max - 1, Math.max(0, this.#score + delta));
  }
}
