/**
 * The node's state directory (`stateDir`, CLI `--state-dir`): per-origin delivery marks that
 * survive restarts, so a restarted node never hands its application a message twice.
 *
 * A mark is the highest sequence number of an origin this node delivered or published. On start
 * the marks go to the engine (`Engine.addDeliveredMarks`), which then records everything at or
 * below them as seen without delivering it. With `history: "cached"` this lets a restarted node
 * catch up on what it missed while down (as far as the cluster still caches it) without
 * repeating what it had.
 *
 * File: `DIR/delivery-marks.json`, `{"version":1,"marks":{"<origin hex>":<seq>,...}}`, at most
 * `maxOrigins` entries (the origins heard from least recently are forgotten first). It is written
 * atomically (a temporary file renamed over the old one) when marks change: at once when the
 * last write is older than `flushMs`, else `flushMs` after it, and on close. A SIGKILL can
 * therefore lose the marks of the last `flushMs`; the join watermark (`history: "none"`) still
 * covers those messages. A file that cannot be parsed is logged and replaced.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { GossipError } from "../errors.ts";
import { type MessageId, originOf, seqOf } from "../wire/message_id.ts";

const logger = getLogger(["starling", "node"]);

/** Name of the marks file inside the state directory. */
export const MARKS_FILE = "delivery-marks.json";

/** The file operations the marks need; `Deno`'s by default (tests pass an in-memory one). */
export interface StateFiles {
  /** Creates the directory (and its parents). */
  mkdir(path: string): Promise<void>;
  /** The file's text, or undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
  /** Writes `text` to `path` (replacing it). */
  writeSync(path: string, text: string): void;
  /** Renames `from` over `to` atomically. */
  renameSync(from: string, to: string): void;
}

/** {@linkcode StateFiles} on the real file system. */
export const denoStateFiles: StateFiles = {
  mkdir: (path) => Deno.mkdir(path, { recursive: true }),
  read: (path) =>
    Deno.readTextFile(path).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }),
  writeSync: (path, text) => Deno.writeTextFileSync(path, text),
  renameSync: (from, to) => Deno.renameSync(from, to),
};

/** Options of {@linkcode DeliveryMarks.open}. */
export interface DeliveryMarksOptions {
  /** Most origins kept. @default {65536} */
  maxOrigins?: number;
  /** Least time between two writes, in ms. @default {100} */
  flushMs?: number;
  /** File operations. @default {denoStateFiles} */
  files?: StateFiles;
}

/** Persisted per-origin delivery marks; see the module doc. */
export class DeliveryMarks {
  #marks = new Map<number, number>();
  #path: string;
  #dirty = false;
  #lastWrite = -Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** Writes that failed (logged; the node keeps running). */
  writeErrors = 0;
  /** Writes done. */
  writes = 0;

  private constructor(
    readonly dir: string,
    readonly maxOrigins: number,
    readonly flushMs: number,
    readonly files: StateFiles,
  ) {
    this.#path = `${dir}/${MARKS_FILE}`;
  }

  /**
   * Opens (creating it if needed) the state directory and reads its marks.
   *
   * @throws {GossipError} `invalid_option` when the directory cannot be created, read or written.
   */
  static async open(dir: string, options: DeliveryMarksOptions = {}): Promise<DeliveryMarks> {
    if (typeof dir !== "string" || dir === "") {
      throw new GossipError("invalid_option", "Invalid option stateDir: pass a directory path");
    }
    const files = options.files ?? denoStateFiles;
    const marks = new DeliveryMarks(
      dir,
      options.maxOrigins ?? 65536,
      options.flushMs ?? 100,
      files,
    );
    let text: string | undefined;
    try {
      await files.mkdir(dir);
      text = await files.read(marks.#path);
      if (text !== undefined) marks.#parse(text);
      // Prove now that the directory is writable, rather than at the first delivery.
      marks.#write(true);
    } catch (error) {
      const reason = String((error as Error)?.message ?? error).split("\n")[0];
      throw new GossipError(
        "invalid_option",
        `Cannot use state directory ${dir}: ${reason}; give a directory this process may read ` +
          `and write (--allow-read=${dir} --allow-write=${dir})`,
        { cause: error },
      );
    }
    return marks;
  }

  /** The marks, origin → highest sequence number delivered. */
  entries(): IterableIterator<[number, number]> {
    return this.#marks.entries();
  }

  /** Origins with a mark. */
  get size(): number {
    return this.#marks.size;
  }

  /** Records that `id` was delivered (or published) and schedules a write. */
  note(id: MessageId): void {
    const origin = originOf(id);
    const seq = seqOf(id);
    const old = this.#marks.get(origin);
    if (old !== undefined && old >= seq) return;
    this.#marks.delete(origin);
    this.#marks.set(origin, seq);
    if (this.#marks.size > this.maxOrigins) {
      this.#marks.delete(this.#marks.keys().next().value!);
    }
    this.#dirty = true;
    this.#schedule();
  }

  /** Writes pending marks now and stops the timer. Idempotent. */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#dirty && !this.#closed) this.#write();
    this.#closed = true;
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const wait = this.#lastWrite + this.flushMs - performance.now();
    if (wait <= 0) {
      this.#write();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#dirty) this.#write();
    }, wait);
  }

  #write(rethrow = false): void {
    const marks: Record<string, number> = {};
    for (const [origin, seq] of this.#marks) marks[origin.toString(16).padStart(10, "0")] = seq;
    const tmp = `${this.#path}.tmp`;
    this.#lastWrite = performance.now();
    this.#dirty = false;
    try {
      this.files.writeSync(tmp, JSON.stringify({ version: 1, marks }));
      this.files.renameSync(tmp, this.#path);
      this.writes++;
    } catch (error) {
      if (rethrow) throw error;
      this.writeErrors++;
      logger.error("Cannot write delivery marks to {path}: {error}", {
        path: this.#path,
        error: String(error),
      });
    }
  }

  #parse(text: string): void {
    try {
      const parsed = JSON.parse(text) as { version?: unknown; marks?: unknown };
      if (parsed.version !== 1 || typeof parsed.marks !== "object" || parsed.marks === null) {
        throw new Error("not a version 1 marks file");
      }
      for (const [hex, seq] of Object.entries(parsed.marks as Record<string, unknown>)) {
        const origin = parseInt(hex, 16);
        if (!/^[0-9a-f]{1,10}$/.test(hex) || !Number.isInteger(seq) || (seq as number) < 0) {
          continue;
        }
        if (this.#marks.size < this.maxOrigins) this.#marks.set(origin, seq as number);
      }
    } catch (error) {
      logger.warn("Ignoring unreadable delivery marks in {path}: {error}", {
        path: this.#path,
        error: String(error),
      });
      this.#marks.clear();
    }
  }
}
