import { describe, expect, it } from "vitest";
import { expectValidManifest, LWS_SCHEMA_FILE, strictSchema, validateManifest } from "./k8s-schema";
import { hasUpstream, readUpstreamCrd } from "./upstream";

function container(extra: Record<string, unknown> = {}) {
  return {
    name: "vllm",
    image: "vllm/vllm-openai:v0.11.0",
    ports: [{ name: "http", containerPort: 8000 }],
    resources: { limits: { "nvidia.com/gpu": "1", memory: "64Gi" } },
    ...extra,
  };
}

function deployment(spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "chat", namespace: "llm" },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "chat" } },
      template: {
        metadata: { labels: { app: "chat" } },
        spec: { containers: [container()] },
      },
      ...spec,
    },
  };
}

function podTemplate(extra: Record<string, unknown> = {}) {
  return {
    metadata: { labels: { app: "chat" } },
    spec: {
      containers: [container(extra)],
      volumes: [{ name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "16Gi" } }],
    },
  };
}

function lws(
  spec: Record<string, unknown> = {},
  leaderTemplate: unknown = podTemplate(),
  workerTemplate: unknown = podTemplate(),
) {
  return {
    apiVersion: "leaderworkerset.x-k8s.io/v1",
    kind: "LeaderWorkerSet",
    metadata: { name: "chat", namespace: "llm" },
    spec: {
      replicas: 1,
      startupPolicy: "LeaderCreated",
      leaderWorkerTemplate: {
        size: 2,
        restartPolicy: "RecreateGroupOnPodRestart",
        leaderTemplate,
        workerTemplate,
      },
      rolloutStrategy: {
        type: "RollingUpdate",
        rollingUpdateConfiguration: { maxUnavailable: 1, maxSurge: "25%" },
      },
      ...spec,
    },
  };
}

describe("core kinds (kubernetes-models)", () => {
  it("accepts a valid Deployment, Service, Secret, PVC and Namespace", () => {
    const objects = [
      deployment(),
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "chat" },
        spec: {
          selector: { app: "chat" },
          ports: [{ name: "http", port: 80, targetPort: "http" }],
        },
      },
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "hf-token" },
        type: "Opaque",
        stringData: { token: "x" },
      },
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "cache" },
        spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "200Gi" } } },
      },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "llm" } },
    ];
    for (const o of objects) expect(validateManifest(o), o.kind).toEqual([]);
  });

  it("rejects a Deployment with a wrongly typed field, by path", () => {
    const errors = validateManifest(deployment({ replicas: "2" }));
    expect(errors).toEqual(["spec.replicas: must be integer"]);
  });

  it("rejects a bad quantity and a missing required field", () => {
    const bad = deployment();
    bad.spec.template.spec.containers = [
      { ...container(), resources: { limits: { "nvidia.com/gpu": "1", memory: "lots" } } },
    ];
    (bad.spec as Record<string, unknown>).selector = undefined;
    const errors = validateManifest(bad);
    expect(errors).toContain('spec: missing required field "selector"');
    expect(
      errors.some((e) => e.startsWith("spec.template.spec.containers[0].resources.limits.memory")),
    ).toBe(true);
  });

  it.skipIf(!hasUpstream)(
    "rejects unknown fields inside a core pod template (strict pod spec)",
    () => {
      const bad = deployment();
      bad.spec.template.spec.containers = [container({ imagePullPolicyy: "Always" })];
      expect(validateManifest(bad)).toEqual([
        'spec.template.spec.containers[0]: unknown field "imagePullPolicyy"',
      ]);
    },
  );

  it.skipIf(!hasUpstream)(
    "rejects duplicate env names in a core pod template (the API would only warn)",
    () => {
      const bad = deployment();
      const env = [
        { name: "NCCL_DEBUG", value: "WARN" },
        { name: "NCCL_DEBUG", value: "INFO" },
      ];
      bad.spec.template.spec.containers = [container({ env })];
      expect(validateManifest(bad)).toEqual([
        "spec.template.spec.containers[0].env: duplicate entries in a list the API treats as a map/set",
      ]);
    },
  );

  it("documents the gap: unknown fields outside pod templates pass kubernetes-models", () => {
    expect(validateManifest(deployment({ bogus: true }))).toEqual([]);
  });

  it("expectValidManifest names the object and lists the errors", () => {
    expect(() => expectValidManifest(deployment({ replicas: "2" }))).toThrow(
      /Deployment llm\/chat is not a valid Kubernetes object:\n {2}- spec\.replicas: must be integer/,
    );
    expect(() => expectValidManifest(deployment())).not.toThrow();
  });
});

describe.skipIf(!hasUpstream)("LeaderWorkerSet (upstream CRD from shared/upstream, strict)", () => {
  it("reads the CRD of the release its file name says", () => {
    const crd = readUpstreamCrd(LWS_SCHEMA_FILE);
    expect(crd?.source.repo).toBe("kubernetes-sigs/lws");
    expect(LWS_SCHEMA_FILE).toContain(crd?.source.tag);
    expect(crd?.source.kind).toBe("LeaderWorkerSet");
  });

  it("accepts a valid LWS (int-or-string maxSurge, quantities, probes)", () => {
    const leader = podTemplate({
      readinessProbe: { httpGet: { path: "/health", port: 8000 } },
      startupProbe: { httpGet: { path: "/health", port: "http" }, failureThreshold: 120 },
    });
    expect(validateManifest(lws({}, leader))).toEqual([]);
  });

  it("rejects an unknown field in spec", () => {
    expect(validateManifest(lws({ sizee: 2 }))).toEqual(['spec: unknown field "sizee"']);
  });

  it("rejects an unknown field in leaderWorkerTemplate", () => {
    const o = lws();
    (o.spec.leaderWorkerTemplate as Record<string, unknown>).gpus = 8;
    expect(validateManifest(o)).toEqual(['spec.leaderWorkerTemplate: unknown field "gpus"']);
  });

  it("rejects a bad pod template: unknown container field and wrong type", () => {
    const worker = podTemplate({ args: "--headless", commandd: ["vllm"] });
    const errors = validateManifest(lws({}, podTemplate(), worker));
    const at = "spec.leaderWorkerTemplate.workerTemplate.spec.containers[0]";
    expect(errors).toContain(`${at}: unknown field "commandd"`);
    expect(errors).toContain(`${at}.args: must be array`);
  });

  it("rejects a wrong enum value and a bad int-or-string", () => {
    const errors = validateManifest(
      lws({
        rolloutStrategy: { type: "RollingUpdate", rollingUpdateConfiguration: { maxSurge: true } },
        startupPolicy: "Whenever",
      }),
    );
    expect(errors).toContain("spec.startupPolicy: must be equal to one of the allowed values");
    expect(
      errors.some((e) => e.startsWith("spec.rolloutStrategy.rollingUpdateConfiguration.maxSurge")),
    ).toBe(true);
  });

  it("rejects duplicate list-map keys (two containers with one name)", () => {
    const t = podTemplate();
    t.spec.containers.push(container());
    const errors = validateManifest(lws({}, t));
    expect(errors).toContain(
      "spec.leaderWorkerTemplate.leaderTemplate.spec.containers: duplicate entries in a list the API treats as a map/set",
    );
  });

  it("checks top-level metadata as ObjectMeta", () => {
    const o = lws();
    (o.metadata as Record<string, unknown>).labels = { app: 3 };
    expect(validateManifest(o)).toEqual(["metadata.labels.app: must be string"]);
  });
});

describe("unknown kinds and junk", () => {
  it("says no schema is known for a GKE Network", () => {
    const [error] = validateManifest({
      apiVersion: "networking.gke.io/v1",
      kind: "Network",
      metadata: { name: "rdma-0" },
      spec: { type: "Device" },
    });
    expect(error).toMatch(/no schema known for networking\.gke\.io\/v1\/Network/);
  });

  it("rejects non-objects and objects without apiVersion/kind", () => {
    expect(validateManifest("nope")).toHaveLength(1);
    expect(validateManifest({ kind: "Deployment" })).toHaveLength(1);
  });
});

describe("strictSchema", () => {
  it("closes objects with properties, keeps preserve-unknown ones open, widens int-or-string", () => {
    const out = strictSchema({
      type: "object",
      description: "dropped",
      properties: {
        a: { type: "object", properties: { b: { type: "string" } } },
        open: { type: "object", "x-kubernetes-preserve-unknown-fields": true, properties: {} },
        port: { type: "string", format: "int-or-string" },
      },
    });
    expect(out).toEqual({
      type: "object",
      additionalProperties: false,
      properties: {
        a: { type: "object", additionalProperties: false, properties: { b: { type: "string" } } },
        open: { type: "object", "x-kubernetes-preserve-unknown-fields": true, properties: {} },
        port: { anyOf: [{ type: "integer" }, { type: "string" }] },
      },
    });
  });
});
