/**
 * Splits a byte stream (stdin) into text lines, with a bound on line length.
 *
 * @module
 */

/**
 * One item of {@linkcode readLines}: a line (as text, invalid UTF-8 shown as U+FFFD, and as its
 * exact bytes), or a note that a line was too long.
 */
export type LineItem = { line: string; bytes: Uint8Array } | { tooLong: number };

/**
 * Yields the lines of `stream` (without `\n` or `\r\n`). A line longer than `maxBytes` is not
 * buffered: it is skipped and reported once as `{ tooLong: bytes }`. A last line without a
 * newline is yielded too.
 *
 * @example
 * ```ts
 * import { readLines } from "./lines.ts";
 * const stream = ReadableStream.from([new TextEncoder().encode("a\nbb\r\nc")]);
 * const lines = [];
 * for await (const item of readLines(stream, 100)) if ("line" in item) lines.push(item.line);
 * if (lines.join() !== "a,bb,c") throw new Error("split");
 * ```
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<LineItem> {
  const decoder = new TextDecoder();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let skipping = 0; // bytes of an over-long line being skipped, 0 when not skipping
  const take = (): { line: string; bytes: Uint8Array } => {
    let all = new Uint8Array(pendingBytes);
    let at = 0;
    for (const part of pending) {
      all.set(part, at);
      at += part.length;
    }
    pending = [];
    pendingBytes = 0;
    if (all.at(-1) === 13) all = all.subarray(0, -1);
    return { line: decoder.decode(all), bytes: all };
  };
  for await (const chunk of stream) {
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(10, start);
      const end = newline < 0 ? chunk.length : newline;
      const part = chunk.subarray(start, end);
      if (skipping > 0) {
        skipping += part.length;
      } else if (pendingBytes + part.length > maxBytes) {
        skipping = pendingBytes + part.length;
        pending = [];
        pendingBytes = 0;
      } else if (part.length > 0) {
        pending.push(part.slice());
        pendingBytes += part.length;
      }
      if (newline < 0) break;
      if (skipping > 0) {
        yield { tooLong: skipping };
        skipping = 0;
      } else {
        yield take();
      }
      start = newline + 1;
    }
  }
  if (skipping > 0) yield { tooLong: skipping };
  else if (pendingBytes > 0) yield take();
}
