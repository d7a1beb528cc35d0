/**
 * {@linkcode serveMetrics}: an HTTP endpoint that serves a node's stats at `GET /metrics` in the
 * Prometheus text format.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { GossipError } from "../errors.ts";
import type { NodeStats } from "../node/options.ts";
import { type Address, joinHostPort, splitHostPort } from "../wire/address.ts";
import { formatPrometheus, PROMETHEUS_CONTENT_TYPE } from "./prometheus.ts";

const logger = getLogger(["starling", "metrics"]);

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The bound address, `"host:port"` (the real port when 0 was asked for). */
  readonly address: Address;
  /** Stops serving. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `stats()` at `http://listen/metrics` (Prometheus text format); other paths get 404 and
 * other methods 405.
 *
 * @param listen `"host:port"` to bind; port 0 picks a free one.
 * @param stats Called on each scrape.
 * @throws {GossipError} `invalid_option` for a malformed address, `transport` when it cannot be
 * bound.
 *
 * @example
 * ```ts ignore
 * import { serveMetrics } from "./server.ts";
 * const server = serveMetrics("127.0.0.1:9464", () => node.stats());
 * // curl http://127.0.0.1:9464/metrics
 * await server.close();
 * ```
 */
export function serveMetrics(listen: string, stats: () => NodeStats): MetricsServer {
  const parts = splitHostPort(listen);
  if (!parts) {
    throw new GossipError(
      "invalid_option",
      `Invalid metrics address ${listen}: expected HOST:PORT, such as 127.0.0.1:9464`,
    );
  }
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: parts.host,
      port: parts.port,
      // The default onListen prints to stdout, which carries the CLI's messages.
      onListen: () => {},
    }, (request) => {
      const url = new URL(request.url);
      if (url.pathname !== "/metrics") return new Response("Not found\n", { status: 404 });
      if (request.method !== "GET" && request.method !== "HEAD") {
        return new Response("Method not allowed\n", { status: 405, headers: { allow: "GET" } });
      }
      return new Response(formatPrometheus(stats()), {
        headers: { "content-type": PROMETHEUS_CONTENT_TYPE },
      });
    });
  } catch (error) {
    throw new GossipError(
      "transport",
      `Cannot serve metrics on ${listen}: ${(error as Error).message}; pick another address`,
      { cause: error },
    );
  }
  const address = joinHostPort(server.addr.hostname, server.addr.port);
  logger.info("Metrics on http://{address}/metrics", { address });
  let closing: Promise<void> | undefined;
  return {
    address,
    close: () => (closing ??= server.shutdown()),
  };
}
