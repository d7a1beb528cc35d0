/**
 * The receive loop of a {@linkcode GossipNode}: datagrams from the transport to the engine.
 *
 * Where the transport offers `batches()`, every datagram that arrived by one wake-up goes to the
 * engine in one call (one outbox flush, one timer check, one delivery batch), so a busy node pays
 * per wake-up what it used to pay per datagram. Other transports (the sealing decorator, custom
 * ones) are read one datagram at a time. With publisher signatures on, each datagram is checked
 * first and dropped (logged under `["starling", "security"]`, counted by the filter) when it fails.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { EngineDriver } from "./driver.ts";
import type { OriginSignatureFilter } from "../security/signature_filter.ts";
import type { Packet, Transport } from "../transport/transport.ts";

const securityLogger = getLogger(["starling", "security"]);

/**
 * @internal Feeds `transport`'s datagrams to `driver` until the transport ends or `closed()`
 * turns true. Transport errors propagate to the caller.
 */
export async function pumpDatagrams(
  transport: Transport,
  driver: EngineDriver,
  filter: OriginSignatureFilter | undefined,
  closed: () => boolean,
): Promise<void> {
  const take = async (packets: readonly Packet[]): Promise<boolean> => {
    const accepted = filter?.checking ? await checked(filter, packets) : packets;
    if (closed()) return false;
    if (accepted.length > 0) driver.receive(accepted);
    return true;
  };
  if (transport.batches) {
    for await (const batch of transport.batches()) {
      if (closed() || !await take(batch)) return;
    }
    return;
  }
  for await (const packet of transport) {
    if (closed() || !await take([packet])) return;
  }
}

/** The packets whose signatures check out; the others are logged and dropped. */
async function checked(
  filter: OriginSignatureFilter,
  packets: readonly Packet[],
): Promise<Packet[]> {
  const accepted: Packet[] = [];
  for (const packet of packets) {
    const verdict = await filter.check(packet.bytes);
    if (verdict === true) accepted.push(packet);
    else {
      securityLogger.debug("Dropped a datagram from {from}: {reason}", {
        from: packet.from,
        reason: verdict,
      });
    }
  }
  return accepted;
}
