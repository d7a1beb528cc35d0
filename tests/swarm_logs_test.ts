// The swarm phase reads each task's deliveries from `docker service logs`; these lines are in
// the format Docker 20.10 prints (task prefix, `|`, the node's own stdout or stderr line).
import assert from "node:assert/strict";
import { missingTasks, parseServiceLogs } from "../compose/swarm_logs.ts";

const SERVICE = "starling-swarm_node";
const LOGS = [
  "starling-swarm_node.1.aaa111@vm    | starling node 73aa4bcd00 listening on 0.0.0.0:7946",
  'starling-swarm_node.1.aaa111@vm    | {"id":"00c5","origin":"00c5","hops":2,"data":"m-1","t":1}',
  "starling-swarm_node.2.bbb222@vm    | starling node 00c583e200 listening on 0.0.0.0:7946",
  "starling-swarm_node.3.ccc333@vm    | starling node 1e8b620a00 listening on 0.0.0.0:7946",
  'starling-swarm_node.3.ccc333@vm    | {"id":"00c5","origin":"00c5","hops":1,"data":"m-1","t":2}',
  'starling-swarm_node.3.ccc333@vm    | {"id":"00c6","origin":"00c5","hops":1,"data":"m-2","t":3}',
  // Another stack's service, a line without a prefix, broken JSON, JSON without text data.
  'other_node.1.ddd444@vm    | {"data":"m-2"}',
  '{"data":"m-2"}',
  'starling-swarm_node.1.aaa111@vm    | {"data":"m-2"',
  'starling-swarm_node.1.aaa111@vm    | {"data":7}',
  "",
].join("\n");

Deno.test("parseServiceLogs() groups deliveries and node ids by task of the service", () => {
  const tasks = parseServiceLogs(LOGS, SERVICE);
  assert.deepEqual([...tasks.keys()].sort(), ["aaa111", "bbb222", "ccc333"]);
  assert.equal(tasks.get("aaa111")?.slot, 1);
  assert.equal(tasks.get("bbb222")?.nodeId, "00c583e200");
  assert.deepEqual([...tasks.get("aaa111")!.delivered], ["m-1"]);
  assert.deepEqual([...tasks.get("bbb222")!.delivered], []);
  assert.deepEqual([...tasks.get("ccc333")!.delivered].sort(), ["m-1", "m-2"]);
});

Deno.test("missingTasks() leaves out the publisher and counts silent tasks as missing", () => {
  const tasks = parseServiceLogs(LOGS, SERVICE);
  // m-1 was published in bbb222: the other two logged it.
  assert.deepEqual(missingTasks(tasks, ["aaa111", "bbb222", "ccc333"], "m-1", "bbb222"), []);
  // m-2 reached only ccc333; eee555 runs but never logged anything.
  assert.deepEqual(
    missingTasks(tasks, ["aaa111", "bbb222", "ccc333", "eee555"], "m-2", "bbb222"),
    ["aaa111", "eee555"],
  );
});
