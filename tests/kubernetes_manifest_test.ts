// Offline validation of deploy/kubernetes/: each manifest parses, matches the schema of the
// fields it uses (tests/kubernetes_schema.ts), and the objects fit together — the Service selects
// the StatefulSet's pods, the node's command line is one the CLI accepts, the key comes from the
// mounted Secret, probes and scraping hit the metrics port.
//
// npm:yaml parses the manifests: Deno has no YAML parser built in, and the files are kept in the
// ordinary block style users edit rather than JSON.
import assert from "node:assert/strict";
import { parseAllDocuments } from "npm:yaml@2.8.1";
import { parseCliArgs } from "../lib/cli/args.ts";
import { check, KINDS, quantity } from "./kubernetes_schema.ts";

const DIR = new URL("../deploy/kubernetes/", import.meta.url);

type Obj = Record<string, unknown>;
// deno-lint-ignore no-explicit-any
type Any = any;

async function manifests(): Promise<Map<string, Obj[]>> {
  const files = new Map<string, Obj[]>();
  for await (const entry of Deno.readDir(DIR)) {
    if (!entry.isFile || !entry.name.endsWith(".yaml")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, DIR));
    const docs = parseAllDocuments(text);
    assert.ok(Array.isArray(docs), `${entry.name}: not a YAML stream`);
    for (const doc of docs) {
      assert.deepEqual(doc.errors.map(String), [], `${entry.name}: YAML errors`);
    }
    files.set(entry.name, docs.map((doc) => doc.toJS() as Obj));
  }
  return files;
}

async function objects(): Promise<Record<string, Any>> {
  const byKind: Record<string, Any> = {};
  for (const docs of (await manifests()).values()) {
    for (const doc of docs) byKind[String(doc.kind)] = doc;
  }
  return byKind;
}

/** True when every label of `selector` is on `labels`. */
function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** The container's environment as Kubernetes computes it: `$(VAR)` from earlier entries only. */
function environment(env: Any[], fields: Record<string, string>): Map<string, string> {
  const vars = new Map<string, string>();
  for (const entry of env) {
    let value: string;
    if (entry.valueFrom?.fieldRef) {
      value = fields[entry.valueFrom.fieldRef.fieldPath] ?? "";
      assert.notEqual(value, "", `${entry.name}: unexpected field ${entry.valueFrom.fieldRef}`);
    } else {
      value = String(entry.value).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, name) => {
        assert.ok(vars.has(name), `${entry.name} uses $(${name}) before it is defined`);
        return vars.get(name)!;
      });
    }
    vars.set(entry.name, value);
  }
  return vars;
}

Deno.test("kubernetes manifests parse and match the schema of their kind", async () => {
  const files = await manifests();
  assert.ok(files.size >= 4, `found ${[...files.keys()]}`);
  for (const [file, docs] of files) {
    for (const doc of docs) {
      const kind = `${doc.apiVersion}/${doc.kind}`;
      const schema = KINDS[kind];
      assert.ok(schema, `${file}: no schema for ${kind}`);
      assert.deepEqual(check(doc, schema), [], `${file} (${kind})`);
      const name = (doc.metadata as Obj | undefined)?.name;
      if (name !== undefined) assert.match(String(name), /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  }
});

Deno.test("the schema check catches a misspelt field, an unquoted annotation and a bad quantity", () => {
  const schema = KINDS["apps/v1/StatefulSet"]!;
  const bad = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "x", annotations: { "prometheus.io/scrape": true } },
    spec: {
      template: {
        spec: {
          containers: [{ name: "n", readinesProbe: {}, resources: { limits: { memory: "1 GB" } } }],
        },
      },
    },
  };
  assert.deepEqual(check(bad, schema), [
    "metadata.annotations.prometheus.io/scrape: expected a string (quote it)",
    "spec.template.spec.containers[0].readinesProbe: unknown field",
    'spec.template.spec.containers[0].resources.limits.memory: expected a quantity string such as 96Mi or 50m, got "1 GB"',
  ]);
  assert.equal(quantity("96Mi"), 96 * 2 ** 20);
  assert.equal(quantity("50m"), 0.05);
});

Deno.test("the kustomization lists every manifest of the folder", async () => {
  const files = await manifests();
  const kustomization = files.get("kustomization.yaml")?.[0] as Any;
  const others = [...files.keys()].filter((name) => name !== "kustomization.yaml").sort();
  assert.deepEqual([...kustomization.resources].sort(), others);
});

Deno.test("the headless Service publishes every pod of the StatefulSet, ready or not", async () => {
  const { Service: service, StatefulSet: set, PodDisruptionBudget: pdb } = await objects();
  const pod = set.spec.template;
  const container = pod.spec.containers[0];
  assert.equal(service.spec.clusterIP, "None", "headless: one A record per pod, no virtual IP");
  assert.equal(service.spec.publishNotReadyAddresses, true);
  assert.equal(set.spec.serviceName, service.metadata.name);
  assert.ok(selects(service.spec.selector, pod.metadata.labels), "Service selects the pods");
  assert.ok(selects(set.spec.selector.matchLabels, pod.metadata.labels), "StatefulSet selector");
  assert.ok(selects(pdb.spec.selector.matchLabels, pod.metadata.labels), "budget selects pods");
  for (const port of service.spec.ports) {
    const target = container.ports.find((p: Any) => p.name === port.targetPort);
    assert.ok(target, `Service port ${port.name} targets a named container port`);
    assert.equal(target.protocol, port.protocol);
    assert.equal(target.containerPort, port.port);
  }
  const gossip = container.ports.find((p: Any) => p.name === "gossip");
  assert.equal(gossip.protocol, "UDP");
});

Deno.test("the node's command line: pod IP, DNS discovery of the Service, key from the Secret, metrics", async () => {
  const { Service: service, StatefulSet: set } = await objects();
  const pod = set.spec.template;
  const container = pod.spec.containers[0];
  const env = environment(container.env, {
    "status.podIP": "10.244.1.7",
    "metadata.namespace": "gossip",
  });
  // The image's entrypoint (compose/entrypoint.sh) turns these variables into flags.
  const entrypoint = await Deno.readTextFile(new URL("../compose/entrypoint.sh", import.meta.url));
  for (const name of ["STARLING_LISTEN", "STARLING_DISCOVER", "STARLING_ARGS"]) {
    assert.ok(entrypoint.includes(`\${${name}`), `the entrypoint reads ${name}`);
    assert.ok(env.has(name), `the manifest sets ${name}`);
  }
  const config = parseCliArgs([
    "--listen",
    env.get("STARLING_LISTEN")!,
    "--json",
    "--discover",
    env.get("STARLING_DISCOVER")!,
    ...env.get("STARLING_ARGS")!.trim().split(/\s+/),
  ]);
  const gossipPort = container.ports.find((p: Any) => p.name === "gossip").containerPort;
  const metricsPort = container.ports.find((p: Any) => p.name === "metrics").containerPort;
  assert.equal(config.listen, `10.244.1.7:${gossipPort}`, "bound to the pod's own address");
  assert.deepEqual(
    config.discovery.map((d) => d.name),
    [`dns:${service.metadata.name}.gossip.svc.cluster.local:${gossipPort}`],
  );
  assert.equal(config.metrics, `0.0.0.0:${metricsPort}`);
  assert.ok(config.maxDatagramSize === undefined || config.maxDatagramSize <= 1232, "fits MTU");

  // The key file is the Secret's item, mounted read-only.
  const keyFile = config.keyFile!;
  const mount = container.volumeMounts.find((m: Any) => keyFile.startsWith(`${m.mountPath}/`));
  assert.ok(mount?.readOnly, `${keyFile} is on a read-only mount`);
  const volume = pod.spec.volumes.find((v: Any) => v.name === mount.name);
  assert.ok(volume.secret?.secretName, "the key volume is a Secret");
  assert.ok(
    volume.secret.items.some((item: Any) => `${mount.mountPath}/${item.path}` === keyFile),
    "the Secret's item is the key file",
  );
  // The node runs as a non-root user: the key must be readable through fsGroup.
  assert.equal((volume.secret.defaultMode & 0o040) !== 0, true, "group-readable key");
  assert.equal(typeof pod.spec.securityContext.fsGroup, "number");

  // Probes and Prometheus scraping use the metrics endpoint.
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    assert.equal(probe.httpGet.path, "/metrics");
    assert.equal(probe.httpGet.port, "metrics");
  }
  const annotations = pod.metadata.annotations;
  assert.equal(annotations["prometheus.io/scrape"], "true");
  assert.equal(annotations["prometheus.io/port"], String(metricsPort));
  assert.equal(annotations["prometheus.io/path"], "/metrics");
});

Deno.test("the network policy admits gossip from starling pods only and metrics from anywhere", async () => {
  const { NetworkPolicy: policy, StatefulSet: set } = await objects();
  const pod = set.spec.template;
  const container = pod.spec.containers[0];
  const portOf = (name: string) => container.ports.find((p: Any) => p.name === name);
  assert.ok(selects(policy.spec.podSelector.matchLabels, pod.metadata.labels), "applies to pods");
  assert.deepEqual(policy.spec.policyTypes, ["Ingress"]);
  const rules = policy.spec.ingress as Any[];
  const gossip = rules.filter((r) => r.ports.some((p: Any) => p.port === "gossip"));
  assert.equal(gossip.length, 1);
  assert.equal(gossip[0].ports[0].protocol, portOf("gossip").protocol);
  assert.equal(gossip[0].from.length, 1, "gossip only from the listed sources");
  assert.ok(selects(gossip[0].from[0].podSelector.matchLabels, pod.metadata.labels), "from peers");
  const metrics = rules.filter((r) => r.ports.some((p: Any) => p.port === "metrics"));
  assert.equal(metrics.length, 1);
  assert.equal(metrics[0].ports[0].protocol, portOf("metrics").protocol);
  assert.equal(metrics[0].from, undefined, "probes and Prometheus reach the metrics port");
});

Deno.test("the node container has bounded resources and a writable /tmp under a read-only root", async () => {
  const { StatefulSet: set } = await objects();
  const pod = set.spec.template;
  const container = pod.spec.containers[0];
  const { requests, limits } = container.resources;
  for (const resource of ["cpu", "memory"]) {
    assert.ok(requests[resource] && limits[resource], `${resource} requested and limited`);
    assert.ok(quantity(requests[resource]) <= quantity(limits[resource]), resource);
  }
  assert.ok(quantity(limits.memory) >= 128 * 2 ** 20, "room above the measured footprint");
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  // The entrypoint makes its stdin FIFO in /tmp.
  const tmp = container.volumeMounts.find((m: Any) => m.mountPath === "/tmp");
  assert.ok(tmp, "/tmp is mounted");
  assert.ok(
    pod.spec.volumes.find((v: Any) => v.name === tmp.name)?.emptyDir,
    "/tmp is an emptyDir",
  );
  assert.deepEqual(container.securityContext.capabilities.drop, ["ALL"]);
});
