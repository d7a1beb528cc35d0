import assert from "node:assert/strict";
import { GossipNode } from "../lib/node/node.ts";
import { formatPrometheus } from "../lib/metrics/prometheus.ts";
import { generateKey } from "../lib/security/key_material.ts";
import { openTransport } from "../lib/transport/open_transport.ts";
import { MemoryNetwork } from "../lib/transport/memory_transport.ts";
import { captureLogs } from "./log_capture.ts";

Deno.test("stats().transport.implementation names the native transport and the fallback", async () => {
  const native = await openTransport("127.0.0.1:0");
  const { result: fallback } = await captureLogs(() =>
    openTransport("127.0.0.1:0", { listenDatagram: null })
  );
  try {
    await using nativeNode = await GossipNode.start({ transport: native, keys: [generateKey()] });
    await using fallbackNode = await GossipNode.start({ transport: fallback });
    // Through the sealing wrapper too: wrappers report what carries their datagrams.
    assert.equal(nativeNode.stats().transport.implementation, "Deno.listenDatagram");
    assert.equal(fallbackNode.stats().transport.implementation, "node:dgram");
    assert.match(
      formatPrometheus(fallbackNode.stats()),
      /^starling_transport_info\{implementation="node:dgram"\} 1$/m,
    );
  } finally {
    await native.close();
    await fallback.close();
  }
});

Deno.test("stats().transport.implementation is memory on a MemoryNetwork", async () => {
  await using node = await GossipNode.start({ transport: new MemoryNetwork().open() });
  assert.equal(node.stats().transport.implementation, "memory");
});
