/**
 * How long a node waits for a tree's payload after hearing of it, before it grafts: the graft
 * timeout, which follows how late the tree's payloads come, and the shorter waits that an
 * announcement's origin and depth justify (an echo of a pushed payload; an announcer as deep as
 * this node usually sits). Plumtree (plumtree.ts) asks it for each announced id and reports what
 * came of the wait.
 *
 * @module
 */

import type { ResolvedOptions } from "../options.ts";

/**
 * The graft timeout follows how late eager payloads come behind their first IHAVE, between
 * `graftTimeoutMs` and this many times it. A busy node (or a busy machine running many nodes)
 * lags, and with a fixed timeout every lagging payload turned into a graft, a duplicate and a
 * prune: more datagrams, more lag. Measured on 100 loopback nodes at 100 msgs/s on a shared
 * 2-core machine: 42 grafts per message and 56% of messages to every node within 2 s.
 */
export const MAX_GRAFT_STRETCH = 8;
/** A needless graft stretches the graft timeout by this factor... */
const STRETCH_GROWTH = 1.1;
/** ...and each payload that came before its graft was due shrinks the stretch by this one. */
const STRETCH_DECAY = 0.95;
/**
 * Share of `graftTimeoutMs` an echoed id waits for its payload before grafting (see
 * `Plumtree.onAnnounce`): the echo left after the payload on the same link, so only reordering can
 * still bring it.
 */
export const ECHO_WAIT_SHARE = 0.1;
/** First-copy hop counts a node keeps to know how deep it sits in trees. */
export const DEPTH_SAMPLES = 32;
/** The share of those a node counts as its usual depth's bound. */
export const DEEP_SHARE = 0.9;
/** `graftTimeoutMs` counted as this many hops' delay (150 ms: 12.5 ms, the links' 10-15 ms). */
export const TIMEOUT_HOPS = 12;
/**
 * Share of `graftTimeoutMs` a lossy node waits at most after a lazy announcement before it grafts
 * (see `GraftWait.lazyWait`). Measured at 1,000 simulated nodes, 100 publishers, 10% loss, seeds
 * 1/2/3/5, median ms to full delivery: 434/488/436/432 with no bound (under loss this node's usual
 * depth grows to ~18 hops and announcers sit at ~10, so the depth-aware wait was ~100 ms), a third
 * (50 ms) 413/400/406/368, 0.2 357/355/354/342 (1.31 copies per node), 0.1 (the echo wait)
 * 336/337/362/352 for 1.35-1.44 copies and 8% more datagrams.
 */
export const LOSSY_WAIT_SHARE = 0.2;
/**
 * First copies over which a node's count of lost pushes is kept: past twice this, the counts
 * halve.
 */
export const LOSS_WINDOW_COPIES = 64;

/** The waits of one node (see the module notes). */
export class GraftWait {
  /** Hop counts of the last payloads got first (a ring), and its next slot. */
  #depths: number[] = [];
  #depthNext = 0;
  /** The depth {@linkcode DEEP_SHARE} of those payloads did not exceed. */
  #deep = 0;
  /** True when samples came since `#deep` was last worked out (it is needed far less often). */
  #deepStale = false;
  /** Smoothed lateness (ms) of a payload behind its id's first IHAVE. */
  #lateness = 0;
  /** Factor on `graftTimeoutMs` that needless grafts raise and timely payloads lower. */
  #stretch = 1;
  /** Smoothed round trip (ms) of a graft and its answer, and its mean deviation; 0: none yet. */
  #graftRtt = 0;
  #graftRttDev = 0;
  /** Payloads got first lately, and how many losses this node saw meanwhile (see `sawLoss`). */
  #firstCopies = 0;
  #losses = 0;

  /** @param options The node's options (`graftTimeoutMs`, `antiEntropyIntervalMs`). */
  constructor(readonly options: Readonly<ResolvedOptions>) {}

  /** A payload came by the tree `lateMs` after its first announcement, before any graft. */
  timely(lateMs: number): void {
    this.#lateness += (lateMs - this.#lateness) / 8;
    this.#stretch = Math.max(1, this.#stretch * STRETCH_DECAY);
  }

  /** A graft proved needless: the payload came from a peer not grafted (the tree was slow). */
  needless(): void {
    this.#stretch = Math.min(this.#maxStretch(), this.#stretch * STRETCH_GROWTH);
  }

  /**
   * Keeps the hop counts of the last {@linkcode DEPTH_SAMPLES} payloads this node got first: how
   * deep this node usually sits in a tree (see `#usualDepth`).
   */
  recordDepth(hops: number): void {
    if (++this.#firstCopies >= 2 * LOSS_WINDOW_COPIES) {
      this.#firstCopies /= 2;
      this.#losses /= 2;
    }
    const depths = this.#depths;
    if (depths.length < DEPTH_SAMPLES) depths.push(hops);
    else depths[this.#depthNext] = hops;
    this.#depthNext = (this.#depthNext + 1) % DEPTH_SAMPLES;
    this.#deepStale = true;
  }

  /**
   * The first graft for an id was answered by the peer grafted, `rttMs` after it left (only
   * those: the answer to a retry could be the first graft's, late).
   */
  answered(rttMs: number): void {
    if (this.#graftRtt === 0) {
      this.#graftRtt = rttMs;
      this.#graftRttDev = rttMs / 2;
      return;
    }
    this.#graftRttDev += (Math.abs(rttMs - this.#graftRtt) - this.#graftRttDev) / 4;
    this.#graftRtt += (rttMs - this.#graftRtt) / 8;
  }

  /**
   * How long a graft waits for its answer before the next announcer is asked: `graftRetryMs`, or
   * less once grafts are answered sooner, their smoothed round trip plus two mean deviations (as
   * TCP times out a segment, with a smaller margin: a needless retry costs one small graft and at
   * most a duplicate). At 10% loss a graft or its answer is lost 19% of the time; at 1,000
   * simulated nodes the round trip is ~25 ms, and medians to full delivery (seeds 1/2/3/5) were
   * 386/387/361/351 ms retrying after 50, 364/365/348/352 with four deviations (~42 ms),
   * 348/375/339/331 with two (~36 ms).
   */
  retryWait(): number {
    const retry = this.options.graftRetryMs;
    if (this.#graftRtt === 0) return retry;
    return Math.max(1, Math.min(retry, Math.round(this.#graftRtt + 2 * this.#graftRttDev)));
  }

  /**
   * A datagram to or from this node was lost: a payload pushed to it (its echo came, not it), one
   * it pushed (the peer grafted it), or a graft or its answer (no answer within the round trip).
   * None of these happens without loss: an echo follows its payload on the same link, and a retry
   * waits at least the usual round trip. The first two alone left 8% of lazy waits of a 10%-loss
   * run (1,000 nodes, seed 2) at the full graft timeout, on nodes that had seen none, and those set
   * most messages' last deliveries.
   */
  sawLoss(): void {
    this.#losses++;
  }

  /**
   * True when this node got at least {@linkcode LOSS_WINDOW_COPIES} payloads first and saw no loss
   * over the last of them: its links deliver (a node that has not seen that many yet cannot tell).
   */
  get calm(): boolean {
    return this.#firstCopies >= LOSS_WINDOW_COPIES && this.#losses < 1;
  }

  /** True when this node saw a loss within its last {@linkcode LOSS_WINDOW_COPIES} first copies or so. */
  get lossy(): boolean {
    return this.#losses >= 1;
  }

  /**
   * The depth {@linkcode DEEP_SHARE} of the samples do not exceed, worked out when asked: samples
   * come with every first copy, and sorting them each time was work on every payload.
   */
  #usualDepth(): number {
    if (this.#deepStale) {
      const sorted = [...this.#depths].sort((a, b) => a - b);
      this.#deep = sorted[Math.min(sorted.length - 1, Math.floor(DEEP_SHARE * sorted.length))]!;
      this.#deepStale = false;
    }
    return this.#deep;
  }

  /**
   * How long a lazy announcement of `hops` hops waits for the tree's copy: the graft timeout, or
   * less when the announcer sits as deep as this node usually does. The tree's copy comes about
   * one hop's delay later per hop this node sits below the announcer (measured on 1,000 simulated
   * nodes without loss: 2 ms after an IHAVE from one hop above, 15 ms from three, 47 ms from six,
   * 115 from ten), so an announcer at this node's usual depth, or below, says the copy is due
   * already: most likely it was lost upstream, and a graft timeout would only add to the loss.
   * A hop's delay is taken as `graftTimeoutMs` / {@linkcode TIMEOUT_HOPS}, stretched as the
   * graft timeout is by needless grafts.
   *
   * A node that saw a loss lately (see `lossy`) waits at most {@linkcode LOSSY_WAIT_SHARE} of
   * `graftTimeoutMs`, unless it is `overloaded` (many ids missing at once), when grafting sooner
   * would only load it more.
   */
  lazyWait(hops: number, overloaded = false): number {
    const wait = this.#treeWait(hops);
    return this.lossy && !overloaded ? Math.min(wait, this.#lossyWait()) : wait;
  }

  /**
   * The longest a lossy node (see `lossy`) waits after a lazy announcement: {@linkcode
   * LOSSY_WAIT_SHARE} of `graftTimeoutMs`. Where datagrams are lost, a tree copy that is late is
   * mostly one lost upstream and coming only after the repair up there (a graft round trip or
   * more, after its own wait), while the announcer holds the payload one round trip away.
   */
  #lossyWait(): number {
    return Math.max(this.echoWait(), Math.round(this.options.graftTimeoutMs * LOSSY_WAIT_SHARE));
  }

  /** {@linkcode GraftWait.lazyWait} on a node that saw no loss lately. */
  #treeWait(hops: number): number {
    const timeout = this.graftTimeout();
    if (this.#depths.length < DEPTH_SAMPLES) return timeout;
    const hop = this.options.graftTimeoutMs / TIMEOUT_HOPS;
    const due = Math.max(1, this.#usualDepth() - hops) * hop * this.#stretch;
    return Math.min(timeout, Math.max(this.echoWait(), 2 * this.#lateness, due));
  }

  /**
   * How long an announced id waits for its payload before a graft: `graftTimeoutMs`, or longer
   * while payloads come late: twice the smoothed lateness, or the base stretched by needless
   * grafts, at most {@linkcode MAX_GRAFT_STRETCH} times it or one anti-entropy period. A mean, not a tail: at 10% loss a few
   * payloads come late behind a repair upstream, and waiting for those tails (mean plus four
   * deviations, as TCP does) put the median to full delivery at 753 ms instead of 585 on 1,000
   * simulated nodes.
   */
  graftTimeout(): number {
    const base = this.options.graftTimeoutMs;
    const wanted = Math.max(base * this.#stretch, 2 * this.#lateness);
    return Math.min(this.#maxStretch() * base, wanted);
  }

  /**
   * The largest stretch: {@linkcode MAX_GRAFT_STRETCH}, or up to one anti-entropy period where
   * that is longer (the `local` preset's 10 ms timeout, stretched 8 times, is still shorter than
   * the lag of a busy machine running many nodes).
   */
  #maxStretch(): number {
    const options = this.options;
    return Math.max(MAX_GRAFT_STRETCH, options.antiEntropyIntervalMs / options.graftTimeoutMs);
  }

  /**
   * How long an echoed id waits for its payload before a graft: only what reordering on one link
   * may cost, {@linkcode ECHO_WAIT_SHARE} of `graftTimeoutMs`.
   */
  echoWait(): number {
    return Math.max(1, Math.round(this.options.graftTimeoutMs * ECHO_WAIT_SHARE));
  }
}
