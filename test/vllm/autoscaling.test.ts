import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { type Recording, recordRegistrations } from "../../cli/recorder";
import { allowedMetricNames, VLLM_METRICS } from "../../components/monitoring/metrics";
import { prometheusUrl } from "../../components/monitoring/prometheus";
import { checkPromql } from "../../components/monitoring/promql";
import { SERVER_LABEL, vllmPodMonitor } from "../../components/monitoring/scrape";
import { ConfigError } from "../../components/validation";
import {
  gpuBudgetProblem,
  type IScaledObject,
  type VllmAutoscalingArgs,
} from "../../components/vllm/autoscaling";
import { SERVING_METRICS, servingMetrics } from "../../components/vllm/nim";
import { AUTOSCALED_WORKLOAD_OPTIONS, VllmServer } from "../../components/vllm/server";
import { expectValidManifest } from "../support/k8s-schema";
import { outputValue } from "../support/outputs";
import { recorded } from "../support/recording";
import { baseArgs, PROFILE_ARGS, plan, SHAPES } from "./fixtures";

const VLLM = new Set(VLLM_METRICS.map((m) => m.name));
const AUTO: VllmAutoscalingArgs = { maxReplicas: 4, queueDepth: 8, kvCacheUsage: 0.8 };
const multiNodeArgs = {
  parallelism: SHAPES["two nodes, TP 8 x PP 2"],
  network: PROFILE_ARGS["gke-rdma"],
};

/** The problems a ConfigError carries, by path. */
function problemsOf(fn: () => unknown): Record<string, string> {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return Object.fromEntries(e.problems.map((p) => [p.path, p.message]));
  }
  throw new Error("expected a ConfigError");
}

describe("ScaledObject builder", () => {
  it("targets the Deployment the plan renders, valid against KEDA v2.20.2's CRD", () => {
    const p = plan({ autoscaling: AUTO });
    const so = p.scaledObject as IScaledObject;
    expectValidManifest(so);
    expect(so.spec.scaleTargetRef).toEqual({
      apiVersion: p.deployment?.apiVersion,
      kind: p.deployment?.kind,
      name: p.deployment?.metadata?.name,
    });
    expect(p.scaleTarget).toEqual(so.spec.scaleTargetRef);
    expect(so.metadata.namespace).toBe(p.deployment?.metadata?.namespace);
    expect(so.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 4 });
  });

  it("targets a LeaderWorkerSet through its scale subresource (leaderworkerset.x-k8s.io/v1)", () => {
    const p = plan({ ...multiNodeArgs, autoscaling: { maxReplicas: 2 } });
    const so = p.scaledObject as IScaledObject;
    expectValidManifest(so);
    expect(so.spec.scaleTargetRef).toEqual({
      apiVersion: "leaderworkerset.x-k8s.io/v1",
      kind: "LeaderWorkerSet",
      name: p.leaderWorkerSet?.metadata.name,
    });
  });

  it("queries this server's vLLM queue (and KV cache) with PromQL that parses and names pinned metrics", () => {
    const so = plan({ autoscaling: AUTO }).scaledObject as IScaledObject;
    expect(so.spec.triggers.map((t) => t.name)).toEqual(["queue-depth", "kv-cache-usage"]);
    for (const t of so.spec.triggers) {
      const check = checkPromql(t.metadata.query, VLLM);
      expect(check.problems, t.metadata.query).toEqual([]);
      // KEDA's Prometheus scaler fails on more than one series: the query aggregates.
      expect(t.metadata.query).toMatch(/^sum\(/);
      expect(t.metadata.serverAddress).toBe(prometheusUrl());
      expect(t.metricType).toBe("AverageValue");
    }
    expect(checkPromql(so.spec.triggers[0].metadata.query).metrics).toEqual([
      "vllm:num_requests_waiting",
    ]);
    expect(checkPromql(so.spec.triggers[1].metadata.query).metrics).toEqual([
      "vllm:kv_cache_usage_perc",
    ]);
    expect(so.spec.triggers[0].metadata).toMatchObject({
      threshold: "8",
      activationThreshold: "0",
    });
    expect(so.spec.triggers[1].metadata.threshold).toBe("0.8");
  });

  it("filters on the labels the Monitoring PodMonitor puts on the server's series", () => {
    const so = plan({ autoscaling: AUTO }).scaledObject as IScaledObject;
    const monitor = vllmPodMonitor({ name: "chat", namespace: "llm" }, "monitoring");
    const relabel = monitor.spec?.podMetricsEndpoints?.[0].relabelings?.find(
      (r) => r.targetLabel === SERVER_LABEL,
    );
    expect(relabel?.replacement).toBe("chat");
    expect(monitor.spec?.namespaceSelector?.matchNames).toEqual(["llm"]);
    for (const t of so.spec.triggers) {
      expect(t.metadata.query).toContain(`${SERVER_LABEL}="chat"`);
      expect(t.metadata.query).toContain(`namespace="llm"`);
    }
  });

  it("cooldown is the scale-down window and the wait before zero; scale-up and -down go one replica a minute", () => {
    const so = plan({ autoscaling: { maxReplicas: 3, cooldownSeconds: 600 } })
      .scaledObject as IScaledObject;
    const behavior = so.spec.advanced.horizontalPodAutoscalerConfig.behavior;
    expect(so.spec.cooldownPeriod).toBe(600);
    expect(behavior.scaleDown.stabilizationWindowSeconds).toBe(600);
    expect(behavior.scaleUp.policies).toEqual([{ type: "Pods", value: 1, periodSeconds: 60 }]);
    expect(so.spec.fallback.behavior).toBe("currentReplicas");
  });

  it("scale to zero: minReplicas 0 with a wake trigger, the activation threshold on queue and wake", () => {
    const wakeQuery = 'sum(gateway_requests_waiting{pool="chat"})';
    const p = plan({
      autoscaling: { maxReplicas: 2, minReplicas: 0, activationQueueDepth: 2, wakeQuery },
    });
    const so = p.scaledObject as IScaledObject;
    expectValidManifest(so);
    expect(so.spec.minReplicaCount).toBe(0);
    const wake = so.spec.triggers.find((t) => t.name === "wake");
    expect(wake?.metadata).toMatchObject({ query: wakeQuery, activationThreshold: "2" });
    expect(so.spec.triggers[0].metadata.activationThreshold).toBe("2");
    // The first `pulumi up` still waits for one serving replica.
    expect(p.deployment?.spec?.replicas).toBe(1);
  });

  it("no autoscaling, no ScaledObject; the scale target is still the workload", () => {
    const p = plan();
    expect(p.scaledObject).toBeUndefined();
    expect(p.scaleTarget).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "chat" });
  });
});

/** A NIM for LLMs server with the pinned 2.0.12 image (NIM's model; no HF token). */
const NIM_ARGS = {
  runtime: "nim" as const,
  model: { id: "meta-llama/Llama-3.1-8B-Instruct", servedName: "llama-8b" },
  tokenSecret: undefined,
};

describe("ScaledObject of a NIM server (runtime: nim)", () => {
  const nim = plan({ ...NIM_ARGS, autoscaling: AUTO }).scaledObject as IScaledObject;
  const vllm = plan({ autoscaling: AUTO }).scaledObject as IScaledObject;

  it("is valid against KEDA's CRD and queries the metric names NIM 2.0.x exports", () => {
    expectValidManifest(nim);
    const names = nim.spec.triggers.map((t) => checkPromql(t.metadata.query, VLLM));
    for (const check of names) expect(check.problems).toEqual([]);
    expect(names.map((c) => c.metrics)).toEqual([
      [servingMetrics("nim").waiting],
      [servingMetrics("nim").kvCacheUsage],
    ]);
  });

  it("is scoped to the server's pods by the labels the PodMonitor gives NIM's series", () => {
    const monitor = vllmPodMonitor(
      { name: "chat", namespace: "llm", runtime: "nim" },
      "monitoring",
    );
    expect(monitor.spec?.podMetricsEndpoints?.[0].path).toBe("/v1/metrics");
    expect(
      monitor.spec?.podMetricsEndpoints?.[0].relabelings?.find(
        (r) => r.targetLabel === SERVER_LABEL,
      )?.replacement,
    ).toBe("chat");
    for (const t of nim.spec.triggers) {
      expect(t.metadata.query).toContain(`{namespace="llm",${SERVER_LABEL}="chat"}`);
    }
  });

  it("differs from the vLLM server's only where the runtimes' metric tables differ", () => {
    const same = SERVING_METRICS.nim.waiting === SERVING_METRICS.vllm.waiting;
    expect(nim.spec.triggers[0].metadata.query === vllm.spec.triggers[0].metadata.query).toBe(same);
    expect(nim.spec.triggers.map((t) => t.name)).toEqual(vllm.spec.triggers.map((t) => t.name));
  });

  it("every runtime's table names only exported (allow-listed) series, never NIM 1.x's", () => {
    const allowed = allowedMetricNames();
    for (const [runtime, m] of Object.entries(SERVING_METRICS)) {
      for (const name of [m.waiting, m.running, m.kvCacheUsage, m.promptTokens, m.generationTokens])
        expect(allowed.has(name), `${runtime}: ${name}`).toBe(true);
      for (const h of [m.timeToFirstToken, m.e2eLatency])
        expect(allowed.has(`${h}_bucket`), `${runtime}: ${h}`).toBe(true);
    }
    // NIM 1.x's unprefixed names (its pre-2.0 observability page) are not on a 2.0.x server.
    for (const old of ["num_requests_waiting", "gpu_cache_usage_perc", "vllm:gpu_cache_usage_perc"])
      expect(checkPromql(`sum(${old})`, allowed).problems).toHaveLength(1);
  });
});

describe("autoscaling validation", () => {
  it("names every bad field and the fix", () => {
    const problems = problemsOf(() =>
      plan({
        replicas: 2,
        autoscaling: { maxReplicas: 2, minReplicas: 3, kvCacheUsage: 1.5 } as VllmAutoscalingArgs,
      }),
    );
    expect(Object.keys(problems).sort()).toEqual(["autoscaling.kvCacheUsage"]);
    const more = problemsOf(() =>
      plan({ replicas: 2, autoscaling: { maxReplicas: 2, minReplicas: 3 } }),
    );
    expect(more["autoscaling.minReplicas"]).toMatch(/more than maxReplicas 2/);
    expect(more.replicas).toMatch(/autoscaling decides the replica count/);
  });

  it("minReplicas 0 needs a wakeQuery, and the wakeQuery must parse", () => {
    expect(
      problemsOf(() => plan({ autoscaling: { maxReplicas: 1, minReplicas: 0 } }))[
        "autoscaling.wakeQuery"
      ],
    ).toMatch(/disappears with the last pod/);
    expect(
      problemsOf(() =>
        plan({ autoscaling: { maxReplicas: 1, minReplicas: 0, wakeQuery: "sum(rate(x[5m]" } }),
      )["autoscaling.wakeQuery"],
    ).toMatch(/syntax error/);
  });

  it("rejects a missing maxReplicas, a cooldown past the HPA's limit and a non-URL Prometheus", () => {
    const problems = problemsOf(() =>
      plan({
        autoscaling: {
          cooldownSeconds: 7200,
          prometheusUrl: "monitoring:9090",
        } as unknown as VllmAutoscalingArgs,
      }),
    );
    expect(Object.keys(problems).sort()).toEqual([
      "autoscaling.cooldownSeconds",
      "autoscaling.maxReplicas",
      "autoscaling.prometheusUrl",
    ]);
  });
});

describe("rollouts of autoscaled servers need no spare GPU", () => {
  it("any min/max: Deployment and LWS roll with maxSurge 0; the workload starts at max(1, min)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 8 }), (a, b) => {
        const min = Math.min(a, b);
        const autoscaling = {
          minReplicas: min,
          maxReplicas: Math.max(a, b),
          wakeQuery: "vector(0)",
        };
        const d = plan({ parallelism: SHAPES["one node, TP 4"], autoscaling });
        expect(d.deployment?.spec?.strategy?.rollingUpdate?.maxSurge).toBe(0);
        expect(d.deployment?.spec?.replicas).toBe(Math.max(1, min));
        const l = plan({ ...multiNodeArgs, autoscaling });
        expect(l.leaderWorkerSet?.spec.rolloutStrategy?.rollingUpdateConfiguration?.maxSurge).toBe(
          0,
        );
        expect(l.leaderWorkerSet?.spec.replicas).toBe(Math.max(1, min));
      }),
      { numRuns: 30 },
    );
  });
});

describe("gpuBudgetProblem", () => {
  const budget = {
    key: "autoscaling.maxReplicas",
    gpusPerReplica: 2,
    availableGpus: 8,
    declaredBy: "one node",
  };
  it("passes when maxReplicas × GPUs fits, and names the key and the largest fit otherwise", () => {
    expect(gpuBudgetProblem({ ...budget, maxReplicas: 4 })).toBeUndefined();
    const p = gpuBudgetProblem({ ...budget, maxReplicas: 5 });
    expect(p?.path).toBe("autoscaling.maxReplicas");
    expect(p?.message).toMatch(/5 replicas × 2 GPUs = 10 GPUs.*declares 8.*at most 4/);
  });
});

describe("VllmServer with autoscaling (Pulumi mocks)", () => {
  let rec: Recording;
  let single: VllmServer;
  let multi: VllmServer;
  let nimServer: VllmServer;
  class Keda extends pulumi.CustomResource {
    constructor(name: string) {
      super("test:index:Keda", name, {}, {});
    }
  }
  let keda: Keda;

  beforeAll(async () => {
    rec = await recordRegistrations({ project: "llm-serving", stack: "test" });
    keda = new Keda("keda");
    single = new VllmServer("chat", baseArgs({ autoscaling: AUTO }), { dependsOn: [keda] });
    multi = new VllmServer(
      "big",
      baseArgs({ ...multiNodeArgs, namespace: "rdma", autoscaling: { maxReplicas: 2 } }),
      { dependsOn: [keda] },
    );
    nimServer = new VllmServer("nimchat", baseArgs({ ...NIM_ARGS, autoscaling: AUTO }), {
      dependsOn: [keda],
    });
    await rec.settle();
  });

  const byName = (name: string) => recorded(rec, name);

  it("the ScaledObject names the workload VllmServer registered", () => {
    for (const [server, workload] of [
      ["chat", "chat-deployment"],
      ["big", "big-lws"],
    ]) {
      const so = byName(`${server}-scaledobject`);
      const w = byName(workload);
      expect(so.type).toBe("kubernetes:keda.sh/v1alpha1:ScaledObject");
      const ref = (so.inputs.spec as IScaledObject["spec"]).scaleTargetRef;
      const meta = w.inputs.metadata as { name: string; namespace: string };
      expect(ref).toEqual({
        apiVersion: w.inputs.apiVersion ?? "apps/v1",
        kind: w.inputs.kind ?? "Deployment",
        name: meta.name,
      });
      expect((so.inputs.metadata as { namespace: string }).namespace).toBe(meta.namespace);
    }
  });

  it("runtime nim + autoscaling: a ScaledObject on the NIM Deployment, triggers on NIM's series", async () => {
    const so = byName("nimchat-scaledobject");
    const spec = so.inputs.spec as IScaledObject["spec"];
    expect(spec.scaleTargetRef).toEqual(await outputValue(nimServer.scaleTarget));
    expect(spec.scaleTargetRef.name).toBe("nimchat");
    const image = (
      byName("nimchat-deployment").inputs.spec as {
        template: { spec: { containers: { image: string }[] } };
      }
    ).template.spec.containers[0].image;
    expect(image).toMatch(/^nvcr\.io\/nim\//);
    expect(spec.triggers.map((t) => checkPromql(t.metadata.query).metrics)).toEqual([
      [SERVING_METRICS.nim.waiting],
      [SERVING_METRICS.nim.kvCacheUsage],
    ]);
    expect(spec.triggers[0].metadata.query).toContain(`${SERVER_LABEL}="nimchat"`);
    expect(so.dependencies).toContain(byName("nimchat-deployment").urn);
  });

  it("Pulumi leaves spec.replicas to KEDA: ignoreChanges on the workload only", () => {
    expect(byName("chat-deployment").options?.ignoreChanges).toEqual([
      ...AUTOSCALED_WORKLOAD_OPTIONS.ignoreChanges,
    ]);
    expect(byName("big-lws").options?.ignoreChanges).toEqual(["spec.replicas"]);
    expect(byName("chat-service").options?.ignoreChanges ?? []).toEqual([]);
  });

  it("the ScaledObject comes after the workload and KEDA (so destroy deletes it first)", () => {
    const so = byName("chat-scaledobject");
    expect(so.dependencies).toContain(byName("chat-deployment").urn);
    expect(so.dependencies).toContain(byName("keda").urn);
    expect(byName("big-scaledobject").dependencies).toContain(byName("big-lws").urn);
  });

  it("outputs the scale target", async () => {
    expect(await outputValue(single.scaleTarget)).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "chat",
    });
    expect(await outputValue(multi.scaleTarget)).toEqual({
      apiVersion: "leaderworkerset.x-k8s.io/v1",
      kind: "LeaderWorkerSet",
      name: "big",
    });
  });
});
