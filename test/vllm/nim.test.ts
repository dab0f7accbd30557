/**
 * NIM as the second runtime of `VllmServer`: the same builders render NVIDIA NIM for LLMs
 * (pinned 2.0.12) with its `NIM_*` environment, NGC credentials, cache path, probes and
 * metrics path, single node and multi-node (LWS, Ray), under every network profile.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import { describe, expect, it } from "vitest";
import { vllmPodMonitor } from "../../components/monitoring/scrape";
import { MEMORY_ESTIMATE_ANNOTATION } from "../../components/planner/server";
import { ConfigError } from "../../components/validation";
import { versions } from "../../components/versions";
import type { VllmServerArgs } from "../../components/vllm/args";
import { roleScript } from "../../components/vllm/command";
import { checkedNgcApiKey, dockerConfigJson, ngcSecrets } from "../../components/vllm/ngc";
import { NIM_CACHE_MOUNT } from "../../components/vllm/nim";
import { type VllmServerPlan, vllmServerPlan } from "../../components/vllm/plan";
import { evaluateManifests } from "../../policy/engine";
import { expectValidManifest } from "../support/k8s-schema";
import { objectsOf, PROFILE_ARGS, SHAPES } from "./fixtures";

function nimPlan(overrides: Partial<VllmServerArgs> = {}): VllmServerPlan {
  return vllmServerPlan(
    {
      runtime: "nim",
      model: { id: "meta-llama/Llama-3.1-8B-Instruct", servedName: "llama-8b" },
      namespace: "llm",
      ...overrides,
    },
    "nim",
  );
}

function templates(p: VllmServerPlan): Record<string, IPodTemplateSpec> {
  if (p.deployment) return { server: p.deployment.spec?.template as IPodTemplateSpec };
  const lwt = p.leaderWorkerSet?.spec.leaderWorkerTemplate;
  return {
    leader: lwt?.leaderTemplate as IPodTemplateSpec,
    worker: lwt?.workerTemplate as IPodTemplateSpec,
  };
}

const main = (t: IPodTemplateSpec) => t.spec?.containers[0] as IContainer;
const envOf = (t: IPodTemplateSpec) =>
  Object.fromEntries((main(t).env ?? []).map((e: IEnvVar) => [e.name, e]));
const value = (t: IPodTemplateSpec, name: string) => envOf(t)[name]?.value;

describe("a single-node NIM", () => {
  const p = nimPlan({
    parallelism: { tensor: 2 },
    modelCache: { claimName: "nim-cache" },
    engine: {
      maxModelLen: 8192,
      gpuMemoryUtilization: 0.85,
      extraArgs: ["--max-num-batched-tokens", "8192"],
    },
  });
  const t = templates(p).server as IPodTemplateSpec;

  it("runs the pinned NIM image with NIM's environment for the shape", () => {
    expect(main(t).image).toBe(versions.nimImage);
    expect(main(t).name).toBe("nim");
    expect(value(t, "NIM_TENSOR_PARALLEL_SIZE")).toBe("2");
    expect(value(t, "NIM_PIPELINE_PARALLEL_SIZE")).toBe("1");
    expect(value(t, "NIM_MAX_MODEL_LEN")).toBe("8192");
    expect(value(t, "NIM_SERVED_MODEL_NAME")).toBe("llama-8b");
    expect(value(t, "NIM_SERVER_PORT")).toBe("8000");
    expect(value(t, "NIM_PASSTHROUGH_ARGS")).toBe(
      "--gpu-memory-utilization 0.85 --max-num-batched-tokens 8192",
    );
    // vLLM's variables and flags do not leak into a NIM.
    expect(envOf(t).HF_HOME).toBeUndefined();
    // Without a preamble to run, the image's own entrypoint starts NIM from that environment.
    expect(main(t).command).toBeUndefined();
    expect(main(t).args).toBeUndefined();
    const rdma = templates(nimPlan({ network: PROFILE_ARGS["gke-rdma"] })).server;
    const script = main(rdma as IPodTemplateSpec).args?.[0] ?? "";
    expect(script).toContain("source /usr/local/gib/scripts/set_nccl_env.sh");
    expect(script).toMatch(/\nexec nim-serve\n$/);
  });

  it("takes NGC_API_KEY from a Secret and pulls with the nvcr.io pull Secret", () => {
    expect(envOf(t).NGC_API_KEY).toEqual({
      name: "NGC_API_KEY",
      valueFrom: { secretKeyRef: { name: "ngc-api-key", key: "NGC_API_KEY" } },
    });
    expect(t.spec?.imagePullSecrets).toEqual([{ name: "ngc-registry" }]);
  });

  it("mounts the cache at NIM's cache path and a memory-backed /dev/shm", () => {
    expect(value(t, "NIM_CACHE_PATH")).toBe(NIM_CACHE_MOUNT);
    expect(main(t).volumeMounts).toContainEqual({
      name: "model-cache",
      mountPath: NIM_CACHE_MOUNT,
    });
    expect(t.spec?.volumes).toContainEqual({
      name: "model-cache",
      persistentVolumeClaim: { claimName: "nim-cache" },
    });
    expect(t.spec?.volumes).toContainEqual({
      name: "dshm",
      emptyDir: { medium: "Memory", sizeLimit: "16Gi" },
    });
    expect(main(t).volumeMounts).toContainEqual({ name: "dshm", mountPath: "/dev/shm" });
    // NIM runs as a non-root user; fsGroup makes a PVC cache writable for it.
    expect(t.spec?.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 2000 });
  });

  it("every cache kind lands at NIM's cache path unless the mount path is given", () => {
    for (const cache of [
      { hostPath: "/srv/nim-cache" },
      { nfsServer: "10.0.0.1", nfsPath: "/srv/nim" },
      { claimName: "c", mountPath: "/cache" },
    ]) {
      const c = nimPlan({ modelCache: cache }).config;
      expect(c.modelCache.mountPath).toBe(cache.mountPath ?? NIM_CACHE_MOUNT);
    }
    expect(nimPlan().config.modelCache.volume).toEqual({ name: "model-cache", emptyDir: {} });
  });

  it("probes NIM's health endpoints and advertises its metrics path", () => {
    expect(main(t).startupProbe?.httpGet?.path).toBe("/v1/health/ready");
    expect(main(t).readinessProbe?.httpGet?.path).toBe("/v1/health/ready");
    expect(main(t).livenessProbe?.httpGet?.path).toBe("/v1/health/live");
    expect(t.metadata?.annotations?.["prometheus.io/path"]).toBe("/v1/metrics");
    expect(p.service.metadata?.annotations?.["prometheus.io/path"]).toBe("/v1/metrics");
    const monitor = vllmPodMonitor({ name: "nim", namespace: "llm", runtime: "nim" }, "monitoring");
    expect(monitor.spec?.podMetricsEndpoints?.[0]?.path).toBe("/v1/metrics");
    expect(monitor.spec?.selector.matchLabels).toEqual(p.service.spec?.selector);
  });

  it("the same Service, NetworkPolicy and vLLM's rollout as a vLLM server", () => {
    const vllm = vllmServerPlan(
      {
        model: { id: "meta-llama/Llama-3.1-8B-Instruct" },
        namespace: "llm",
        parallelism: { tensor: 2 },
      },
      "nim",
    );
    expect(p.service.spec).toEqual(vllm.service.spec);
    expect(p.networkPolicies).toEqual(vllm.networkPolicies);
    expect(p.deployment?.spec?.strategy).toEqual(vllm.deployment?.spec?.strategy);
    for (const o of objectsOf(p)) expectValidManifest(o);
  });
});

describe("a multi-node NIM (LeaderWorkerSet, Ray)", () => {
  const p = nimPlan({
    parallelism: SHAPES["two nodes, TP 8 x PP 2"],
    network: PROFILE_ARGS["gke-rdma"],
  });
  const { leader, worker } = templates(p) as Record<string, IPodTemplateSpec>;

  it("renders an LWS valid against the upstream CRD", () => {
    expect(p.leaderWorkerSet?.spec.leaderWorkerTemplate.size).toBe(2);
    for (const o of objectsOf(p)) expectValidManifest(o);
  });

  it("tells each pod its role and rank, and the group its size", () => {
    for (const [t, role] of [
      [leader, "1"],
      [worker, "0"],
    ] as const) {
      expect(value(t, "NIM_MULTI_NODE")).toBe("1");
      expect(value(t, "NIM_NUM_COMPUTE_NODES")).toBe("2");
      expect(value(t, "NIM_LEADER_ROLE")).toBe(role);
      expect(envOf(t).NIM_NODE_RANK?.valueFrom?.fieldRef?.fieldPath).toBe(
        "metadata.labels['leaderworkerset.sigs.k8s.io/worker-index']",
      );
      expect(value(t, "NIM_TENSOR_PARALLEL_SIZE")).toBe("8");
      expect(value(t, "NIM_PIPELINE_PARALLEL_SIZE")).toBe("2");
      expect(main(t).resources?.limits?.["nvidia.com/gpu"]).toBe("8");
    }
    expect(value(worker, "NIM_SERVER_PORT")).toBeUndefined();
  });

  it("starts the Ray head on the leader and joins it from the workers, after the gIB preamble", () => {
    const lead = main(leader).args?.[0] ?? "";
    const work = main(worker).args?.[0] ?? "";
    expect(lead).toContain("source /usr/local/gib/scripts/set_nccl_env.sh");
    expect(lead).toMatch(/exec nim-serve-ray --head --port 6379\n$/);
    expect(work).toMatch(/exec nim-serve-ray --head-address "\$\{master_addr\}:6379"\n$/);
    expect(work.indexOf("/dev/tcp/${master_addr}/6379")).toBeLessThan(
      work.indexOf("exec nim-serve-ray"),
    );
  });

  it("only the leader serves: probes on it, `ray status` on the workers", () => {
    expect(main(leader).readinessProbe?.httpGet?.path).toBe("/v1/health/ready");
    expect(main(worker).readinessProbe).toBeUndefined();
    expect(main(worker).startupProbe?.exec?.command).toEqual(["/bin/sh", "-c", "ray status"]);
    expect(main(worker).ports).toBeUndefined();
    expect(p.service.spec?.selector).toEqual({
      "leaderworkerset.sigs.k8s.io/name": "nim",
      "leaderworkerset.sigs.k8s.io/worker-index": "0",
    });
  });

  it("scripts pass shellcheck for every profile and role", () => {
    const dir = mkdtempSync(join(tmpdir(), "nim-scripts-"));
    const files: string[] = [];
    for (const [profile, network] of Object.entries(PROFILE_ARGS)) {
      const shapes =
        profile === "nvlink"
          ? ["one node, TP 4"]
          : ["one node, TP 4", "two nodes, TP 2 (home lab)"];
      for (const shape of shapes) {
        const c = nimPlan({ network, parallelism: SHAPES[shape] }).config;
        const roles =
          c.parallelism.nodes > 1 ? (["leader", "worker"] as const) : (["server"] as const);
        for (const role of roles) {
          const file = join(dir, `${profile}-${c.parallelism.nodes}-${role}.sh`);
          writeFileSync(file, `#!/bin/bash\n${roleScript(c, role)}`);
          files.push(file);
        }
      }
    }
    expect(files).toHaveLength(10);
    execFileSync("shellcheck", ["--severity=style", ...files], { encoding: "utf8" });
  });
});

describe("the policy pack on NIM servers", () => {
  it("finds nothing in any shape x profile (no vllm-api-auth or probe false alarm)", () => {
    let evaluated = 0;
    for (const [shape, parallelism] of Object.entries(SHAPES)) {
      for (const [profile, network] of Object.entries(PROFILE_ARGS)) {
        if (profile === "nvlink" && (parallelism?.nodes ?? 1) > 1) continue;
        const objects = objectsOf(nimPlan({ parallelism, network, createNamespace: true }));
        const found = evaluateManifests(
          objects.map((object, i) => ({ object: object as never, id: `${shape}/${profile}#${i}` })),
        );
        expect(found, `${shape}, ${profile}`).toEqual([]);
        evaluated++;
      }
    }
    expect(evaluated).toBe(3 * 4 + 2 * 3);
  });

  it("still catches a NIM whose parallelism does not match its GPUs", () => {
    const p = nimPlan({ parallelism: { tensor: 4 } });
    const c = p.deployment?.spec?.template.spec?.containers[0] as IContainer;
    c.env = (c.env ?? []).map((e) =>
      e.name === "NIM_TENSOR_PARALLEL_SIZE" ? { ...e, value: "8" } : e,
    );
    const found = evaluateManifests([{ object: p.deployment as never, id: "nim" }]);
    expect(found.map((v) => v.policy)).toContain("vllm-parallelism-matches-gpus");
  });
});

describe("NIM arguments", () => {
  const problem = (args: Partial<VllmServerArgs>) => {
    try {
      nimPlan(args);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).problems;
    }
    throw new Error("no ConfigError");
  };

  it("refuses an API key NIM would not check, naming the field and why", () => {
    const [p] = problem({ apiKeySecret: { name: "vllm-api-key" } });
    expect(p?.path).toBe("apiKeySecret");
    expect(p?.message).toMatch(/no API key.*NetworkPolicy/);
  });

  it("refuses vLLM's launcher, a non-NIM image, and NIM options on a vLLM server", () => {
    expect(problem({ launcher: "mp" })[0]?.path).toBe("launcher");
    expect(problem({ image: "vllm/vllm-openai:v0.31.0" })[0]?.path).toBe("image");
    expect(problem({ image: "nvcr.io/nim/meta/llama-3.1-8b-instruct:latest" })[0]?.path).toBe(
      "image",
    );
    expect(problem({ runtime: "vllm", nim: {} })[0]?.path).toBe("nim");
    expect(
      problem({ parallelism: { tensor: 8, nodes: 2, gpusPerNode: 4 }, port: 6379 })[0]?.path,
    ).toBe("port");
  });

  it("is sized by the planner like vLLM: an estimate on the workload, a shape that cannot fit refused", () => {
    const p = nimPlan({ gpuType: "h200", engine: { maxModelLen: 8192 } });
    expect(p.deployment?.metadata?.annotations?.[MEMORY_ESTIMATE_ANNOTATION]).toMatch(/GiB/);
    expect(() =>
      nimPlan({ model: { id: "meta-llama/Llama-3.1-70B-Instruct" }, gpuType: "l4" }),
    ).toThrow(ConfigError);
  });
});

describe("NGC credentials", () => {
  const KEY = "nvapi-TESTKEY0123456789abcdefABCDEF";

  it("builds the NGC_API_KEY Secret and an nvcr.io dockerconfigjson with the $oauthtoken user", () => {
    const s = ngcSecrets({ namespace: "llm" }, KEY, dockerConfigJson(KEY));
    expect(s.ref).toEqual({
      ngcApiKeySecret: { name: "ngc-api-key", key: "NGC_API_KEY" },
      imagePullSecret: "ngc-registry",
    });
    expect(s.apiKey.stringData).toEqual({ NGC_API_KEY: KEY });
    expect(s.pullSecret.type).toBe("kubernetes.io/dockerconfigjson");
    const doc = JSON.parse(s.pullSecret.stringData[".dockerconfigjson"] as string);
    expect(doc.auths["nvcr.io"]).toEqual({
      username: "$oauthtoken",
      password: KEY,
      auth: Buffer.from(`$oauthtoken:${KEY}`).toString("base64"),
    });
    for (const secret of [s.apiKey, s.pullSecret]) {
      expectValidManifest({ ...secret, stringData: { k: "v" } });
    }
  });

  it("rejects bad names and keys by field, never echoing the key", () => {
    expect(() => ngcSecrets({ namespace: "Bad NS" }, "", "")).toThrow(/namespace/);
    expect(() => ngcSecrets({ namespace: "llm", pullSecretName: "ngc-api-key" }, "", "")).toThrow(
      /pullSecretName/,
    );
    try {
      checkedNgcApiKey("short key");
      throw new Error("accepted");
    } catch (e) {
      expect((e as ConfigError).problems[0]?.path).toBe("ngcApiKey");
      expect(String(e)).not.toContain("short key");
    }
    expect(checkedNgcApiKey(KEY)).toBe(KEY);
  });
});
