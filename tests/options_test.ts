import assert from "node:assert/strict";
import { GossipError } from "../lib/errors.ts";
import { DEFAULT_OPTIONS, maxPayloadSize, resolveOptions } from "../lib/options.ts";
import { Engine } from "../lib/engine/engine.ts";
import { seededPrng } from "../lib/core/prng.ts";

Deno.test("resolveOptions() fills defaults and keeps given values", () => {
  const options = resolveOptions({ fanout: 5 });
  assert.equal(options.fanout, 5);
  assert.equal(options.maxDatagramSize, DEFAULT_OPTIONS.maxDatagramSize);
});

Deno.test("resolveOptions() rejects out-of-range values with a message naming the range", () => {
  assert.throws(
    () => resolveOptions({ maxDatagramSize: 70_000 }),
    (error: unknown) =>
      error instanceof GossipError && error.code === "invalid_option" &&
      /maxDatagramSize: 70000 is not a whole number from 64 to 65507/.test(error.message),
  );
  assert.throws(() => resolveOptions({ fanout: 0 }), GossipError);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => resolveOptions({ mode: "flood" as any }), /not one of tree/);
});

Deno.test("Engine.publish() throws payload_too_large naming the limit", () => {
  const engine = new Engine({ rng: seededPrng(1) });
  assert.equal(engine.maxSinglePayload, maxPayloadSize(512));
  assert.equal(engine.maxSinglePayload, 498);
  assert.equal(engine.maxPayloadSize, DEFAULT_OPTIONS.maxMessageSize);
  engine.publish(new Uint8Array(498), 0);
  engine.publish(new Uint8Array(65536), 0); // as chunks
  assert.throws(
    () => engine.publish(new Uint8Array(65537), 0),
    (error: unknown) =>
      error instanceof GossipError && error.code === "payload_too_large" &&
      error.message.includes("the limit is 65536") && error.message.includes("maxMessageSize"),
  );
  // A flag (a signature) covers one data frame: flagged messages must fit one datagram.
  assert.throws(
    () => engine.publish(new Uint8Array(499), 0, 1),
    (error: unknown) =>
      error instanceof GossipError && error.code === "payload_too_large" &&
      error.message.includes("the limit is 498"),
  );
});

Deno.test("resolveOptions() bounds maxMessageSize by 1 MiB and the reassembly buffer by it", () => {
  assert.equal(resolveOptions({ maxMessageSize: 1048576 }).maxMessageSize, 1048576);
  assert.throws(
    () => resolveOptions({ maxMessageSize: 1048577 }),
    (error: unknown) =>
      error instanceof GossipError && error.code === "invalid_option" &&
      /maxMessageSize: 1048577 is not a whole number from 1 to 1048576/.test(error.message),
  );
  assert.throws(
    () => resolveOptions({ maxMessageSize: 1048576, reassemblyMaxBytes: 1048576 }),
    (error: unknown) =>
      error instanceof GossipError &&
      /reassemblyMaxBytes: 1048576 .* from 2097152/.test(error.message),
  );
  assert.throws(() => resolveOptions({ reassemblyTimeoutMs: 0 }), GossipError);
});
