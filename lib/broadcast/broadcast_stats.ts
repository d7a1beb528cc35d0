/**
 * The broadcast layer's figures, as `Engine.stats()` reports them.
 *
 * @module
 */

/** Broadcast-layer figures reported by `Engine.stats()`. */
export interface BroadcastStats {
  /** Tree links currently eager / lazy. */
  eagerLinks: number;
  /** Tree links currently lazy (only ids flow over them). */
  lazyLinks: number;
  /** PRUNE frames sent (a duplicate arrived over an eager link). */
  prunesSent: number;
  /** GRAFT frames sent (a payload was missing after an IHAVE). */
  graftsSent: number;
  /** IHAVE frames sent to lazy links. */
  ihavesSent: number;
  /** ACK frames sent for pushed payloads. */
  acksSent: number;
  /** ACKs received for this node's pushes. */
  acksReceived: number;
  /** Pushes that fell short of a majority of ACKs and announced the id further. */
  ackFallbacks: number;
  /** Pushes awaiting ACKs; ids awaiting a graft. */
  pendingAcks: number;
  /** Ids awaiting a payload after an IHAVE. */
  pendingGrafts: number;
  /** With `ordered`: messages held behind a gap. */
  pendingOrdered: number;
  /**
   * 1 while the history gate's join window is open (or not yet opened): this node sends no
   * digests; 0 once it has joined.
   */
  pendingJoinWindow: number;
  /** Trees moved onto a shorter path an IHAVE showed (the hop-count optimisation). */
  optimized: number;
}
