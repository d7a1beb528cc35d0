/**
 * The engine's counters. Plain numbers, so a driver can copy them into metrics or JSON.
 *
 * @module
 */

/** Counters of one engine; every drop is counted under its reason in `dropped`. */
export interface EngineCounters {
  /** Datagrams handed to `receive()`. */
  datagramsIn: number;
  /** Datagrams handed to the driver to send. */
  datagramsOut: number;
  /** Bytes of the datagrams received. */
  bytesIn: number;
  /** Bytes of the datagrams sent. */
  bytesOut: number;
  /** Frames decoded from accepted datagrams. */
  framesIn: number;
  /** Frames packed into sent datagrams. */
  framesOut: number;
  /** Frames received, by frame type name. */
  framesInByType: Record<string, number>;
  /** Messages this node published. */
  published: number;
  /** Tree beacons sent while this node's origin anchored the shared tree. */
  beaconsSent: number;
  /** Messages delivered to the application (first copies from others). */
  delivered: number;
  /** Data frames received that carried a payload (every copy, first or not). */
  payloadsIn: number;
  /** Data frames received for messages already seen. */
  duplicates: number;
  /** Data frames sent (pushes, forwards and repairs). */
  payloadsOut: number;
  /** Payload bytes of the data frames sent (the rest of `bytesOut` is protocol overhead). */
  payloadBytesOut: number;
  /** Data frames sent in answer to pulls and digests. */
  repairsSent: number;
  /** Ids asked for with IWANT. */
  pullsRequested: number;
  /** Anti-entropy digests sent. */
  digestsSent: number;
  /**
   * Messages recorded as seen but not delivered because they were published before this node
   * joined (`history: "none"`) or delivered before a restart (state directory marks).
   */
  historySkipped: number;
  /** With `ordered`: sequence numbers skipped after waiting behind a gap. */
  orderSkipped: number;
  /** With `ordered`: messages dropped because they arrived after their gap was skipped. */
  orderLate: number;
  /** Drops by reason: decoder reasons, `hop_limit`, `unencodable`, and the like. */
  dropped: Record<string, number>;
}

/** A fresh set of zeroed counters. */
export function createCounters(): EngineCounters {
  return {
    datagramsIn: 0,
    datagramsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    framesIn: 0,
    framesOut: 0,
    framesInByType: {},
    published: 0,
    beaconsSent: 0,
    delivered: 0,
    payloadsIn: 0,
    duplicates: 0,
    payloadsOut: 0,
    payloadBytesOut: 0,
    repairsSent: 0,
    pullsRequested: 0,
    digestsSent: 0,
    historySkipped: 0,
    orderSkipped: 0,
    orderLate: 0,
    dropped: {},
  };
}

/** Adds `n` to the drop counter `reason`. */
export function countDrop(counters: EngineCounters, reason: string, n = 1): void {
  counters.dropped[reason] = (counters.dropped[reason] ?? 0) + n;
}
