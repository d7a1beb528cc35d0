import assert from "node:assert/strict";
import { GossipError } from "../lib/errors.ts";
import { GossipNode } from "../lib/node/node.ts";
import { generateKey } from "../lib/security/key_material.ts";
import { MemoryNetwork } from "../lib/transport/memory_transport.ts";
import { until } from "./until.ts";

Deno.test("NodeOptions.rateLimit sets the sealing layer's per-source limit", async () => {
  const network = new MemoryNetwork();
  const flooder = network.open();
  const node = await GossipNode.start({
    transport: network.open(),
    keys: [generateKey()],
    rateLimit: { ratePerSecond: 1, burst: 3 },
  });
  try {
    const started = performance.now();
    for (let i = 0; i < 20; i++) await flooder.send(node.address, new Uint8Array([0x81, i]));
    const dropped = () => node.stats().transport.security?.dropped ?? {};
    const total = () => Object.values(dropped()).reduce((sum, n) => sum + n, 0);
    await until(() => total() === 20, 5000, "the node counts all 20 datagrams as dropped");
    // A burst of 3 passes the limiter (and fails to open); the other 17 never reach decryption,
    // less one token per second the sends took on a slow machine.
    const refilled = Math.floor((performance.now() - started) / 1000);
    const limited = dropped().rate_limited ?? 0;
    assert.ok(limited <= 17 && limited >= 17 - refilled, `rate_limited ${limited}`);
  } finally {
    await node.close();
    await flooder.close();
  }
});

Deno.test("NodeOptions.rateLimit is refused with a reason when bad or when nothing is sealed", async () => {
  const network = new MemoryNetwork();
  const keys = [generateKey()];
  for (
    const [options, says] of [
      [{ keys, rateLimit: { burst: 0 } }, /rateLimit\.burst: 0 is not a number of at least 1/],
      [{ keys, rateLimit: 5 }, /Invalid option rateLimit: got/],
      [{ rateLimit: { ratePerSecond: 10 } }, /set keys or label too/],
    ] as const
  ) {
    const transport = network.open();
    try {
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        GossipNode.start({ transport, ...(options as any) }),
        (error: unknown) => error instanceof GossipError && says.test(error.message),
      );
    } finally {
      await transport.close();
    }
  }
});
