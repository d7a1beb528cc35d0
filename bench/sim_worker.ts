/**
 * Web Worker that runs one simulator configuration per message and posts the result back, so
 * the sweep can use both cores of the machine.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { runSim, type SimRunConfig } from "./sim_run.ts";

self.onmessage = (event: MessageEvent<SimRunConfig>): void => {
  try {
    self.postMessage({ ok: true, result: runSim(event.data) });
  } catch (error) {
    self.postMessage({ ok: false, error: String((error as Error)?.stack ?? error) });
  }
};
