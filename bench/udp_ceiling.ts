/**
 * Raw UDP ceiling of this process on loopback: plain `Deno.listenDatagram` sockets, no protocol,
 * sending fixed-size datagrams as fast as the runtime allows, counting what is received.
 * The cluster benchmark runs this in the same process and run, so its throughput is a fraction of
 * a ceiling measured under the same load and runtime.
 *
 * Shapes: `pairs` (k senders, each to its own receiver) and `fan-in` (k senders to one receiver).
 *
 * Run alone: `deno run --allow-net=127.0.0.1 --allow-read=. --allow-write=bench/out bench/udp_ceiling.ts`
 *
 * @module
 */

import { delay, finish, say } from "./harness.ts";

/** One ceiling measurement. */
export interface CeilingResult {
  shape: "pairs" | "fan-in";
  /** Sockets sending. */
  senders: number;
  /** Bytes per datagram. */
  size: number;
  /** Datagrams received per second (all receivers together). */
  received_per_s: number;
  /** Datagrams handed to send() per second. */
  sent_per_s: number;
  /** Fraction of sent datagrams lost in the kernel or by slow receivers. */
  loss: number;
}

const listen = (): Deno.DatagramConn =>
  Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });

/**
 * Measures one shape for `ms` milliseconds. Flow-controlled like a well-behaved protocol: each
 * sender keeps at most `window` datagrams unreceived (receivers count in-process, no acks on the
 * wire) and a sender that waits 5 ms for credit writes the missing ones off as lost. Without
 * this, senders monopolise the event loop and receivers drop most datagrams; what counts as the
 * ceiling is what is received.
 */
export async function measureCeiling(
  shape: "pairs" | "fan-in",
  senders: number,
  size = 270,
  ms = 1500,
  window = 32,
): Promise<CeilingResult> {
  const tx = Array.from({ length: senders }, listen);
  const rx = shape === "pairs" ? Array.from({ length: senders }, listen) : [listen()];
  const bySenderPort = new Map(tx.map((c, i) => [(c.addr as Deno.NetAddr).port, i]));
  const bytes = new Uint8Array(size).fill(1);
  let stop = false;
  let counting = false;
  let received = 0;
  let sent = 0;
  const outstanding = new Array<number>(senders).fill(0);
  const wakers = new Array<(() => void) | undefined>(senders).fill(undefined);
  const receivers = rx.map(async (conn) => {
    const buffer = new Uint8Array(65536);
    while (!stop) {
      let from: Deno.Addr;
      try {
        [, from] = await conn.receive(buffer);
      } catch {
        return;
      }
      if (counting) received++;
      const i = bySenderPort.get((from as Deno.NetAddr).port);
      if (i === undefined) continue;
      outstanding[i] = Math.max(0, outstanding[i]! - 1);
      const wake = wakers[i];
      if (wake && outstanding[i]! <= window / 2) {
        wakers[i] = undefined;
        wake();
      }
    }
  });
  const senderLoops = tx.map(async (conn, i) => {
    const to = rx[shape === "pairs" ? i : 0]!.addr as Deno.NetAddr;
    const target = { transport: "udp" as const, hostname: "127.0.0.1", port: to.port };
    while (!stop) {
      if (outstanding[i]! >= window) {
        const woken = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 5);
          wakers[i] = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        if (!woken) {
          wakers[i] = undefined;
          outstanding[i] = 0; // the rest were lost
        }
        continue;
      }
      outstanding[i]!++;
      try {
        await conn.send(bytes, target);
        if (counting) sent++;
      } catch {
        outstanding[i]!--;
      }
    }
  });
  await delay(200); // warm-up: JIT, socket buffers
  counting = true;
  const t0 = performance.now();
  await delay(ms);
  counting = false;
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(senderLoops);
  for (const conn of [...tx, ...rx]) conn.close();
  await Promise.all(receivers);
  return {
    shape,
    senders,
    size,
    received_per_s: Math.round(received / elapsed),
    sent_per_s: Math.round(sent / elapsed),
    loss: sent > 0 ? Math.round((1 - Math.min(1, received / sent)) * 1000) / 1000 : 0,
  };
}

/** Runs the standard set of shapes and prints them. */
export async function runUdpCeiling(size = 270): Promise<CeilingResult[]> {
  say(`== raw UDP ceiling on 127.0.0.1, ${size} B datagrams, Deno.listenDatagram ==`);
  const results: CeilingResult[] = [];
  for (
    const [shape, senders] of [["pairs", 1], ["pairs", 4], ["pairs", 16], ["fan-in", 8]] as const
  ) {
    const r = await measureCeiling(shape, senders, size);
    results.push(r);
    say(
      `  ${shape.padEnd(6)} ×${
        String(senders).padEnd(3)
      } received ${r.received_per_s} datagrams/s ` +
        `(sent ${r.sent_per_s}/s, loss ${(r.loss * 100).toFixed(1)}%)`,
    );
  }
  return results;
}

if (import.meta.main) {
  await finish("udp_ceiling", { results: await runUdpCeiling() });
}
