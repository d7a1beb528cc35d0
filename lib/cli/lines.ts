/**
 * Splits a byte stream (stdin) into text lines, with a bound on line length.
 *
 * @module
 */

/** One item of {@linkcode readLines}: a line, or a note that a line was too long. */
export type LineItem = { line: string } | { tooLong: number };

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
  const take = (): string => {
    const all = new Uint8Array(pendingBytes);
    let at = 0;
    for (const part of pending) {
      all.set(part, at);
      at += part.length;
    }
    pending = [];
    pendingBytes = 0;
    const text = decoder.decode(all);
    return text.endsWith("\r") ? text.slice(0, -1) : text;
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
        yield { line: take() };
      }
      start = newline + 1;
    }
  }
  if (skipping > 0) yield { tooLong: skipping };
  else if (pendingBytes > 0) yield { line: take() };
}
