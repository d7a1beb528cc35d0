/**
 * The receive loop of a {@linkcode GossipNode}: datagrams from the transport to the engine.
 *
 * Where the transport offers `batches()`, every datagram that arrived by one wake-up goes to the
 * engine in one call (one outbox flush, one timer check, one delivery batch), so a busy node pays
 * per wake-up what it used to pay per datagram. Other transports (custom ones) are read one
 * datagram at a time. Checks (sealing, signatures) are transport decorators below this loop.
 *
 * @module
 */

import type { EngineDriver } from "./driver.ts";
import type { Transport } from "../transport/transport.ts";

/**
 * @internal Feeds `transport`'s datagrams to `driver` until the transport ends or `closed()`
 * turns true. Transport errors propagate to the caller.
 */
export async function pumpDatagrams(
  transport: Transport,
  driver: EngineDriver,
  closed: () => boolean,
): Promise<void> {
  if (transport.batches) {
    for await (const batch of transport.batches()) {
      if (closed()) return;
      driver.receive(batch);
    }
    return;
  }
  for await (const packet of transport) {
    if (closed()) return;
    driver.receive([packet]);
  }
}
