/**
 * What the workloads enforce for GPU capacity: rollouts that need no spare GPUs, packing of
 * small servers onto one node, and room for downloaded weights — each checked against the
 * upstream schema (LeaderWorkerSet: the LWS CRD).
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../components/validation";
import type { VllmServerArgs } from "../../components/vllm/args";
import { vllmServerPlan } from "../../components/vllm/plan";
import { GPU_RESOURCE, PACK_GROUP_LABEL } from "../../components/vllm/workload";
import { expectValidManifest } from "../support/k8s-schema";

const base: VllmServerArgs = { model: { id: "org/model" }, namespace: "llm" };
const multi: VllmServerArgs = {
  ...base,
  parallelism: { tensor: 8, pipeline: 2, nodes: 2 },
  network: { profile: "gke-rdma" },
};

function paths(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => p.path);
    throw e;
  }
  return [];
}

describe("rollouts that need no spare GPUs", () => {
  it("a GPU Deployment replaces pods one at a time, the old one first", () => {
    const d = vllmServerPlan({ ...base, parallelism: { tensor: 8 } }, "full").deployment;
    expect(d?.spec?.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
    expectValidManifest(d);
  });

  it("an LWS replaces groups one at a time, never surging whole nodes (valid against the CRD)", () => {
    const lws = vllmServerPlan({ ...multi, replicas: 2 }, "big").leaderWorkerSet;
    expect(lws?.spec.rolloutStrategy).toEqual({
      type: "RollingUpdate",
      rollingUpdateConfiguration: { maxSurge: 0, maxUnavailable: 1 },
    });
    expectValidManifest(lws);
  });
});

describe("packing small servers", () => {
  it("labels the pods and requires them on the node of their group, in any namespace", () => {
    const d = vllmServerPlan({ ...base, packGroup: "shared" }, "small").deployment;
    const t = d?.spec?.template;
    expect(t?.metadata?.labels?.[PACK_GROUP_LABEL]).toBe("shared");
    expect(t?.spec?.affinity).toEqual({
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: { matchLabels: { [PACK_GROUP_LABEL]: "shared" } },
            namespaceSelector: {},
            topologyKey: "kubernetes.io/hostname",
          },
        ],
      },
    });
    expectValidManifest(d);
    expect(vllmServerPlan(base, "free").deployment?.spec?.template.spec?.affinity).toBeUndefined();
  });

  it("refuses to pack a multi-node server, or a group name that is no label value", () => {
    expect(paths(() => vllmServerPlan({ ...multi, packGroup: "shared" }, "big"))).toEqual([
      "packGroup",
    ]);
    expect(paths(() => vllmServerPlan({ ...base, packGroup: "Not A Label" }, "x"))).toEqual([
      "packGroup",
    ]);
  });
});

describe("room for the downloaded weights", () => {
  it("requests (not limits) ephemeral storage on every pod of the group", () => {
    const lws = vllmServerPlan(
      { ...multi, resources: { ephemeralStorage: "900G" } },
      "big",
    ).leaderWorkerSet;
    const t = lws?.spec.leaderWorkerTemplate;
    for (const tpl of [t?.leaderTemplate, t?.workerTemplate]) {
      const r = tpl?.spec?.containers[0]?.resources;
      expect(r?.requests?.["ephemeral-storage"]).toBe("900G");
      expect(r?.requests?.[GPU_RESOURCE]).toBe("8");
      expect(r?.limits?.["ephemeral-storage"]).toBeUndefined();
    }
    expectValidManifest(lws);
    expect(
      paths(() => vllmServerPlan({ ...base, resources: { ephemeralStorage: "lots" } }, "x")),
    ).toEqual(["resources.ephemeralStorage"]);
  });
});
