/**
 * The state directory's delivery marks: read back after a restart, written atomically, bounded,
 * and a damaged file never stops the node.
 */
import assert from "node:assert/strict";
import { GossipError } from "../lib/errors.ts";
import { DeliveryMarks, MARKS_FILE, type StateFiles } from "../lib/node/state.ts";
import { makeMessageId } from "../lib/wire/message_id.ts";

function memoryFiles(initial: Record<string, string> = {}) {
  const files = new Map(Object.entries(initial));
  const renames: string[] = [];
  const api: StateFiles = {
    mkdir: () => Promise.resolve(),
    read: (path) => Promise.resolve(files.get(path)),
    writeSync: (path, text) => void files.set(path, text),
    renameSync: (from, to) => {
      files.set(to, files.get(from)!);
      files.delete(from);
      renames.push(`${from} -> ${to}`);
    },
  };
  return { files, renames, api };
}

Deno.test("DeliveryMarks keep the highest sequence per origin across a reopen", async () => {
  const { files, renames, api } = memoryFiles();
  const marks = await DeliveryMarks.open("/state", { files: api, flushMs: 1_000_000 });
  marks.note(makeMessageId(7, 3));
  marks.note(makeMessageId(7, 2)); // lower: no change
  marks.note(makeMessageId(9, 1));
  marks.close();
  assert.ok(renames.every((r) => r === `/state/${MARKS_FILE}.tmp -> /state/${MARKS_FILE}`));
  const saved = JSON.parse(files.get(`/state/${MARKS_FILE}`)!);
  assert.deepEqual(saved, { version: 1, marks: { "0000000007": 3, "0000000009": 1 } });
  const again = await DeliveryMarks.open("/state", { files: api });
  assert.deepEqual([...again.entries()], [[7, 3], [9, 1]]);
});

Deno.test("DeliveryMarks write at most once per flushMs, and what is pending on close", async () => {
  const { renames, api } = memoryFiles();
  const marks = await DeliveryMarks.open("/state", { files: api, flushMs: 60_000 });
  const opened = renames.length; // the open proves the directory is writable
  marks.note(makeMessageId(1, 1));
  assert.equal(renames.length, opened, "written within the first flushMs only by the timer");
  marks.close();
  assert.equal(renames.length, opened + 1, "close writes what is pending");
});

Deno.test("DeliveryMarks forget the least recently heard origin beyond the bound", async () => {
  const { api } = memoryFiles();
  const marks = await DeliveryMarks.open("/state", { files: api, maxOrigins: 2, flushMs: 1e9 });
  marks.note(makeMessageId(1, 1));
  marks.note(makeMessageId(2, 1));
  marks.note(makeMessageId(1, 2));
  marks.note(makeMessageId(3, 1));
  assert.deepEqual([...marks.entries()].map(([origin]) => origin).sort(), [1, 3]);
  marks.close();
});

Deno.test("DeliveryMarks ignore a damaged file and refuse an unusable directory", async () => {
  const { api } = memoryFiles({ [`/state/${MARKS_FILE}`]: "{not json" });
  const marks = await DeliveryMarks.open("/state", { files: api });
  assert.equal(marks.size, 0);
  marks.close();
  const readOnly: StateFiles = {
    ...api,
    writeSync: () => {
      throw new Error("read-only file system");
    },
  };
  await assert.rejects(DeliveryMarks.open("/ro", { files: readOnly }), (error: unknown) => {
    assert.ok(error instanceof GossipError);
    assert.equal(error.code, "invalid_option");
    assert.match(
      error.message,
      /Cannot use state directory \/ro: read-only file system; .*--allow-write=\/ro/,
    );
    return true;
  });
});
