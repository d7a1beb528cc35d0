/**
 * Reads the nodes' own accounts out of `docker service logs`: which task delivered which message.
 *
 * Without `--raw`, every line docker prints for a service is prefixed with the task that wrote
 * it: `starling-swarm_node.3.<task id>@<host>    | <line>`. The node's delivery lines are JSON
 * (`{"id":…,"origin":…,"data":…}`); its start line on stderr names its node id
 * (`starling node 00c583e200 listening on 0.0.0.0:7946`), which is how the publisher of a message
 * is told apart from the tasks that must receive it (the node does not report its own messages).
 *
 * Pure functions only, so they are unit-tested without docker (tests/swarm_logs_test.ts).
 *
 * @module
 */

/** What the service logs say about one task. */
export interface TaskAccount {
  /** The replica number (the `3` of `starling-swarm_node.3.<id>`). */
  slot: number;
  /** Swarm's task id (unique per container, also across restarts of a slot). */
  taskId: string;
  /** The starling node id the task printed when it started ("" when not seen yet). */
  nodeId: string;
  /** Message texts this task delivered. */
  delivered: Set<string>;
}

const PREFIX = /^(\S+)\.(\d+)\.([0-9a-z]+)@\S*\s*\|\s?(.*)$/;
const STARTED = /^starling node ([0-9a-f]+) listening on /;

/**
 * Groups `docker service logs --no-trunc` output by task. Lines of other services, lines without
 * a task prefix and non-JSON output are ignored; a JSON line without a string `data` too.
 *
 * @param text The command's combined output.
 * @param service The service whose tasks count (`<stack>_node`).
 */
export function parseServiceLogs(text: string, service: string): Map<string, TaskAccount> {
  const tasks = new Map<string, TaskAccount>();
  for (const raw of text.split("\n")) {
    const match = PREFIX.exec(raw.trimEnd());
    if (!match || match[1] !== service) continue;
    const taskId = match[3]!;
    let task = tasks.get(taskId);
    if (!task) {
      task = { slot: Number(match[2]), taskId, nodeId: "", delivered: new Set() };
      tasks.set(taskId, task);
    }
    const line = match[4]!;
    const started = STARTED.exec(line);
    if (started) {
      task.nodeId = started[1]!;
      continue;
    }
    const data = deliveredText(line);
    if (data !== undefined) task.delivered.add(data);
  }
  return tasks;
}

function deliveredText(line: string): string | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === "object" && value !== null && "data" in value) {
      const data = (value as { data: unknown }).data;
      return typeof data === "string" ? data : undefined;
    }
  } catch {
    // a line that only looks like JSON: not a delivery
  }
  return undefined;
}

/**
 * The tasks that have not delivered `data`, leaving out the publisher (`originTaskId`): each
 * must show it in its own log for the message to count as delivered everywhere.
 *
 * @param tasks The accounts from {@linkcode parseServiceLogs}.
 * @param running Task ids that are running now (a task that never logged is missing too).
 */
export function missingTasks(
  tasks: ReadonlyMap<string, TaskAccount>,
  running: readonly string[],
  data: string,
  originTaskId: string,
): string[] {
  return running.filter((id) => id !== originTaskId && !tasks.get(id)?.delivered.has(data));
}
