/**
 * Test helper: runs a function with the library's LogTape output ("starling" categories)
 * captured, so a test can assert what was logged.
 *
 * @module
 */

import { configure, type LogRecord, reset } from "@logtape/logtape";

/** Runs `run` with starling's log records captured; LogTape is reset afterwards. */
export async function captureLogs<T>(
  run: () => Promise<T>,
): Promise<{ result: T; logs: LogRecord[] }> {
  const logs: LogRecord[] = [];
  await configure({
    sinks: { capture: (record: LogRecord) => logs.push(record) },
    loggers: [
      { category: ["starling"], lowestLevel: "debug", sinks: ["capture"] },
      { category: ["logtape", "meta"], lowestLevel: "error", sinks: [] },
    ],
    reset: true,
  });
  try {
    return { result: await run(), logs };
  } finally {
    await reset();
  }
}

/** The text of a log record, with its values filled in. */
export function logText(record: LogRecord): string {
  return record.message.map(String).join("");
}
