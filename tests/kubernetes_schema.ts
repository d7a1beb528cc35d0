/**
 * A small schema check for the Kubernetes objects in deploy/kubernetes/: the fields those
 * manifests use, with their types, so that a misspelt field (`readinesProbe`), a number where the
 * API wants a string (an unquoted annotation `true`) or a malformed quantity is caught offline,
 * without kubectl or a cluster. Fields outside the schema are errors: add them here when a
 * manifest starts using them (from the Kubernetes API reference).
 *
 * @module
 */

/** A field's expected shape. */
export type Schema =
  | "string"
  | "int"
  | "bool"
  | "quantity"
  | "int-or-string"
  | "string-map"
  | readonly [Schema]
  | { readonly [field: string]: Schema };

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;

const metadata: Schema = {
  name: "string",
  namespace: "string",
  labels: "string-map",
  annotations: "string-map",
};
const selector: Schema = { matchLabels: "string-map" };
const resources: Schema = {
  requests: { cpu: "quantity", memory: "quantity" },
  limits: { cpu: "quantity", memory: "quantity" },
};
const probe: Schema = {
  httpGet: { path: "string", port: "int-or-string" },
  initialDelaySeconds: "int",
  periodSeconds: "int",
  timeoutSeconds: "int",
  failureThreshold: "int",
  successThreshold: "int",
};
const container: Schema = {
  name: "string",
  image: "string",
  imagePullPolicy: "string",
  args: ["string"],
  env: [{
    name: "string",
    value: "string",
    valueFrom: {
      fieldRef: { fieldPath: "string" },
      secretKeyRef: { name: "string", key: "string" },
    },
  }],
  ports: [{ name: "string", containerPort: "int", protocol: "string" }],
  resources,
  readinessProbe: probe,
  livenessProbe: probe,
  securityContext: {
    allowPrivilegeEscalation: "bool",
    readOnlyRootFilesystem: "bool",
    capabilities: { drop: ["string"], add: ["string"] },
  },
  volumeMounts: [{ name: "string", mountPath: "string", readOnly: "bool" }],
};
const podSpec: Schema = {
  terminationGracePeriodSeconds: "int",
  securityContext: {
    runAsNonRoot: "bool",
    runAsUser: "int",
    runAsGroup: "int",
    fsGroup: "int",
    seccompProfile: { type: "string" },
  },
  containers: [container],
  volumes: [{
    name: "string",
    secret: {
      secretName: "string",
      defaultMode: "int",
      items: [{ key: "string", path: "string" }],
    },
    emptyDir: { medium: "string", sizeLimit: "quantity" },
  }],
};

/** The kinds deploy/kubernetes/ uses, by `apiVersion/kind`. */
export const KINDS: Record<string, Schema> = {
  "v1/Service": {
    apiVersion: "string",
    kind: "string",
    metadata,
    spec: {
      clusterIP: "string",
      publishNotReadyAddresses: "bool",
      selector: "string-map",
      ports: [{ name: "string", port: "int", targetPort: "int-or-string", protocol: "string" }],
    },
  },
  "apps/v1/StatefulSet": {
    apiVersion: "string",
    kind: "string",
    metadata,
    spec: {
      serviceName: "string",
      replicas: "int",
      podManagementPolicy: "string",
      minReadySeconds: "int",
      updateStrategy: { type: "string", rollingUpdate: { partition: "int" } },
      selector,
      template: { metadata, spec: podSpec },
    },
  },
  "policy/v1/PodDisruptionBudget": {
    apiVersion: "string",
    kind: "string",
    metadata,
    spec: { maxUnavailable: "int-or-string", selector },
  },
  "networking.k8s.io/v1/NetworkPolicy": {
    apiVersion: "string",
    kind: "string",
    metadata,
    spec: {
      podSelector: selector,
      policyTypes: ["string"],
      ingress: [{
        from: [{ podSelector: selector, namespaceSelector: selector }],
        ports: [{ port: "int-or-string", protocol: "string" }],
      }],
    },
  },
  "kustomize.config.k8s.io/v1beta1/Kustomization": {
    apiVersion: "string",
    kind: "string",
    resources: ["string"],
  },
};

/** Checks `value` against `schema`; returns one message per problem, each with its path. */
export function check(value: unknown, schema: Schema, path = ""): string[] {
  const at = path || "(root)";
  if (schema === "string") return typeof value === "string" ? [] : [`${at}: expected a string`];
  if (schema === "bool") return typeof value === "boolean" ? [] : [`${at}: expected true/false`];
  if (schema === "int") {
    return Number.isInteger(value) ? [] : [`${at}: expected a whole number`];
  }
  if (schema === "int-or-string") {
    return Number.isInteger(value) || typeof value === "string"
      ? []
      : [`${at}: expected a number or a port name`];
  }
  if (schema === "quantity") {
    return typeof value === "string" && QUANTITY.test(value)
      ? []
      : [`${at}: expected a quantity string such as 96Mi or 50m, got ${JSON.stringify(value)}`];
  }
  if (schema === "string-map") {
    if (!isObject(value)) return [`${at}: expected a map of strings`];
    return Object.entries(value).flatMap(([k, v]) =>
      typeof v === "string" ? [] : [`${path}.${k}: expected a string (quote it)`]
    );
  }
  if (Array.isArray(schema)) {
    if (!Array.isArray(value)) return [`${at}: expected a list`];
    return value.flatMap((item, i) => check(item, schema[0] as Schema, `${path}[${i}]`));
  }
  if (!isObject(value)) return [`${at}: expected a map`];
  const fields = schema as { readonly [field: string]: Schema };
  return Object.entries(value).flatMap(([key, item]) =>
    key in fields
      ? check(item, fields[key] as Schema, path ? `${path}.${key}` : key)
      : [`${path ? `${path}.` : ""}${key}: unknown field`]
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A quantity in base units: cores for CPU (`50m` = 0.05), bytes for memory (`96Mi`). */
export function quantity(text: string): number {
  const match = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text);
  if (!match) return NaN;
  const factor: Record<string, number> = {
    "": 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(match[1]) * (factor[match[2] ?? ""] ?? NaN);
}
